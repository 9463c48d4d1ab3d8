import { app } from '@azure/functions';

// The app entry. Each file in functions/ registers its own functions when the worker loads it
// (package.json "main" lists them); this file only sets app-wide options. Order bodies are small
// and validated whole, so requests are buffered rather than streamed.
app.setup({ enableHttpStream: false });
