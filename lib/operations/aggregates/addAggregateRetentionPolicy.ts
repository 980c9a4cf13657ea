import { reversible } from '../common.js';
import { addRetention, removeRetention } from './policies.js';

/** Drops old materialized chunks, in a job. Reverse: removeAggregateRetentionPolicy. */
export const addAggregateRetentionPolicy = reversible(addRetention, removeRetention);
