import fs from 'node:fs';
import path from 'node:path';
import type { CosmosClient, PartitionKeyDefinition } from '@azure/cosmos';

// The embedded Cosmos-protocol server (@vercel/cosmosdb-server) keeps its data in memory and does
// not expose its store, so `npm start` saves it through the Cosmos protocol itself: every
// database, container (with its partition key) and document, read with the SDK and written to one
// JSON file atomically (temporary file, fsync, rename), and loaded into a fresh server at start.

export interface CosmosSnapshot {
  version: 1;
  databases: {
    id: string;
    containers: {
      id: string;
      partitionKey: PartitionKeyDefinition | undefined;
      documents: Record<string, unknown>[];
    }[];
  }[];
}

/** Fields the server sets on every resource; a restored document gets new ones. */
const SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts'];

function withoutSystemFields(document: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(document).filter(([key]) => !SYSTEM_FIELDS.includes(key)));
}

export async function takeSnapshot(client: CosmosClient): Promise<CosmosSnapshot> {
  const snapshot: CosmosSnapshot = { version: 1, databases: [] };
  const { resources: databases } = await client.databases.readAll().fetchAll();
  for (const { id } of [...databases].sort((a, b) => a.id.localeCompare(b.id))) {
    const database = client.database(id);
    const { resources: containers } = await database.containers.readAll().fetchAll();
    const entry: CosmosSnapshot['databases'][number] = { id, containers: [] };
    for (const definition of [...containers].sort((a, b) => a.id.localeCompare(b.id))) {
      const { resources: documents } = await database
        .container(definition.id)
        .items.readAll<Record<string, unknown>>()
        .fetchAll();
      entry.containers.push({
        id: definition.id,
        partitionKey: definition.partitionKey,
        documents: documents.map(withoutSystemFields).sort((a, b) => String(a.id).localeCompare(String(b.id))),
      });
    }
    snapshot.databases.push(entry);
  }
  return snapshot;
}

/** Loads a snapshot into a server: databases and containers created as they were, documents upserted. */
export async function restoreSnapshot(client: CosmosClient, snapshot: CosmosSnapshot): Promise<number> {
  let documents = 0;
  for (const database of snapshot.databases) {
    const { database: db } = await client.databases.createIfNotExists({ id: database.id });
    for (const container of database.containers) {
      const { container: target } = await db.containers.createIfNotExists({
        id: container.id,
        ...(container.partitionKey ? { partitionKey: container.partitionKey } : {}),
      });
      for (const document of container.documents) {
        await target.items.upsert(document);
        documents++;
      }
    }
  }
  return documents;
}

export function readSnapshotFile(file: string): CosmosSnapshot | undefined {
  if (!fs.existsSync(file)) return undefined;
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<CosmosSnapshot>;
  if (parsed.version !== 1 || !Array.isArray(parsed.databases))
    throw new Error(`${file} is not a Cosmos snapshot of this version; move it away to start from the demo data.`);
  return parsed as CosmosSnapshot;
}

/** Temporary file, fsync, rename: a crash leaves the previous snapshot or the new one, never half of one. */
export function writeSnapshotFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  const fd = fs.openSync(temporary, 'w');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
}
