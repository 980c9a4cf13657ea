import { reversible } from '../common.js';
import { addCompression, removeCompression } from './policies.js';

/** Compresses old materialized chunks, in a job. Reverse: removeAggregateCompressionPolicy. */
export const addAggregateCompressionPolicy = reversible(addCompression, removeCompression);
