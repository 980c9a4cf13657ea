export { addRetentionPolicy, type AddRetentionPolicyOptions } from './addRetentionPolicy.js';
export {
  removeRetentionPolicy,
  type RemoveRetentionPolicyOptions,
} from './removeRetentionPolicy.js';
