export * from './filter-ast';
export * from './filter-parser';
export * from './filter-compiler';
export * from './filter-targets';
