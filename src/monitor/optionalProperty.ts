/** `{ [name]: value }` when value is defined, `{}` otherwise (exactOptionalPropertyTypes-friendly). */
export function optional<K extends string, V>(name: K, value: V | undefined): Partial<Record<K, V>> {
  return (value === undefined ? {} : { [name]: value }) as Partial<Record<K, V>>;
}
