import { canonicalKey, isPlainObject, type JsonObject } from './scim-value';

/**
 * Constant-time, case-insensitive access to the keys of the objects of one working copy of a resource (SCIM
 * attribute names ignore case), and a cache of each object's canonical key (for duplicate detection).
 *
 * A PATCH applies up to a thousand operations to one copy: scanning an object's keys, or computing the
 * canonical key of every value of a multi-valued attribute, in each operation would cost the product of the
 * two sizes. Each object is indexed once, on first use, and the index is then kept up to date — which holds
 * only while every key added to or removed from an indexed object goes through {@link set} or {@link delete}.
 */
export class KeyIndex {
  /** Per object, built on first use: its keys by lower case, and its canonical key. */
  private readonly records = new WeakMap<JsonObject, { keys?: Map<string, string[]>; canonical?: string }>();

  /** The key of `obj` equal to `name` ignoring case; the exact spelling when present. */
  keyOf(obj: JsonObject, name: string): string | undefined {
    if (Object.prototype.hasOwnProperty.call(obj, name)) return name;
    return this.index(obj).get(name.toLowerCase())?.[0];
  }

  get(obj: JsonObject, name: string): unknown {
    const key = this.keyOf(obj, name);
    return key === undefined ? undefined : obj[key];
  }

  /** Sets `obj[name]`, dropping the keys that spell `name` differently. */
  set(obj: JsonObject, name: string, value: unknown): void {
    const record = this.record(obj);
    const index = this.index(obj, record);
    const lower = name.toLowerCase();
    const spellings = index.get(lower);
    if (spellings?.length !== 1 || spellings[0] !== name) {
      for (const key of spellings ?? []) if (key !== name) delete obj[key];
      index.set(lower, [name]);
    }
    obj[name] = value;
    record.canonical = undefined;
  }

  /** Deletes every key of `obj` equal to `name` ignoring case; true when one was present. */
  delete(obj: JsonObject, name: string): boolean {
    const record = this.record(obj);
    const index = this.index(obj, record);
    const lower = name.toLowerCase();
    const keys = index.get(lower);
    if (!keys) return false;
    for (const key of keys) delete obj[key];
    index.delete(lower);
    record.canonical = undefined;
    return true;
  }

  isEmpty(obj: JsonObject): boolean {
    return this.index(obj).size === 0;
  }

  /**
   * {@link canonicalKey}, remembered for objects. Only the values of multi-valued attributes are asked for, and
   * their sub-attributes are never edited below the first level, so a change to one goes through {@link set}.
   */
  canonicalKey(value: unknown): string {
    if (!isPlainObject(value)) return canonicalKey(value);
    const record = this.record(value);
    record.canonical ??= canonicalKey(value);
    return record.canonical;
  }

  private record(obj: JsonObject): { keys?: Map<string, string[]>; canonical?: string } {
    let record = this.records.get(obj);
    if (!record) {
      record = {};
      this.records.set(obj, record);
    }
    return record;
  }

  private index(obj: JsonObject, record = this.record(obj)): Map<string, string[]> {
    if (!record.keys) {
      record.keys = new Map();
      for (const key of Object.keys(obj)) {
        const lower = key.toLowerCase();
        const spellings = record.keys.get(lower);
        if (spellings) spellings.push(key);
        else record.keys.set(lower, [key]);
      }
    }
    return record.keys;
  }
}
