export { addReorderPolicy, type AddReorderPolicyOptions } from './addReorderPolicy.js';
export { removeReorderPolicy, type RemoveReorderPolicyOptions } from './removeReorderPolicy.js';
