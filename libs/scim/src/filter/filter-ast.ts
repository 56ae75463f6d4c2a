/** RFC 7644 §3.4.2.2 comparison operators (`pr` is modelled separately as a presence test). */
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

/** A compValue: false / null / true / number / string. */
export type FilterValue = string | number | boolean | null;

/**
 * An attribute path exactly as written (URN prefix and casing preserved), e.g. `name.givenName` or
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`. Inside a value path the names
 * are relative to the parent attribute (`type`, `value`).
 */
export type AttrPathText = string;

export interface CompareNode {
  kind: 'compare';
  path: AttrPathText;
  op: CompareOp;
  value: FilterValue;
}

export interface PresentNode {
  kind: 'present';
  path: AttrPathText;
}

export interface LogicalNode {
  kind: 'and' | 'or';
  /** Two or more operands; chains of the same operator are flattened. */
  filters: FilterNode[];
}

export interface NotNode {
  kind: 'not';
  filter: FilterNode;
}

/**
 * `attrPath[valFilter]`: some value of the (multi-valued) complex attribute matches valFilter. The parser also
 * reads `attrPath[valFilter].subAttr op value` into this node, as `attrPath[valFilter and subAttr op value]`.
 */
export interface ValuePathNode {
  kind: 'valuePath';
  path: AttrPathText;
  filter: FilterNode;
}

export type FilterNode = CompareNode | PresentNode | LogicalNode | NotNode | ValuePathNode;

/** RFC 7644 §3.5.2 PATH = attrPath / valuePath [subAttr]. */
export interface ScimPath {
  attrPath: AttrPathText;
  valueFilter?: FilterNode;
  subAttr?: string;
}
