/**
 * The net effect of a PATCH on a group's members, whatever the number and order of its operations: applied as
 * at most two statements (a replace, or a remove and an add), so that a thousand one-member operations cost
 * what one operation naming a thousand members costs.
 */
export interface MembersChange {
  /** True when the request replaced or removed all members: the group's members become exactly `add`. */
  replaceAll: boolean;
  /** Members to add (to keep, when `replaceAll`). */
  add: string[];
  /** Members to remove; always empty when `replaceAll`, never overlapping `add`. */
  remove: string[];
}

/**
 * Accumulates member operations in request order into one {@link MembersChange}. Ids are compared ignoring case
 * (they are UUIDs); the spelling of the last mention is kept. An id added then removed is simply removed (it is
 * never checked to be a user of the directory), as if the operations had run one by one.
 */
export class MemberChanges {
  private replaceAll = false;
  private touched = false;
  private readonly added = new Map<string, string>();
  private readonly removed = new Map<string, string>();

  add(ids: readonly string[]): void {
    for (const id of ids) {
      this.removed.delete(id.toLowerCase());
      this.added.set(id.toLowerCase(), id);
    }
  }

  remove(ids: readonly string[]): void {
    for (const id of ids) {
      this.added.delete(id.toLowerCase());
      // After a replace, the replace itself removes whatever is not added.
      if (!this.replaceAll) this.removed.set(id.toLowerCase(), id);
    }
  }

  removeAll(): void {
    this.replaceAll = true;
    this.touched = true;
    this.added.clear();
    this.removed.clear();
  }

  replace(ids: readonly string[]): void {
    this.removeAll();
    this.add(ids);
  }

  /** The net change, or undefined when the request changes no membership. */
  result(): MembersChange | undefined {
    if (!this.touched && this.added.size === 0 && this.removed.size === 0) return undefined;
    return { replaceAll: this.replaceAll, add: [...this.added.values()], remove: [...this.removed.values()] };
  }
}
