/** Injected by esbuild where the page's code (rsocket-js, rsb's codec) names `Buffer`: browsers have none. */
export { Buffer } from 'buffer';
