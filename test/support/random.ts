/** A seeded uniform random source (mulberry32), so that tests of random behaviour are repeatable: the one the load engine's request mix uses. */
export { seededRandom } from '../../src/load/request-mix.js';
