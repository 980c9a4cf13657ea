export { enableCompression, type EnableCompressionOptions } from './enableCompression.js';
export { disableCompression, type DisableCompressionOptions } from './disableCompression.js';
export { addCompressionPolicy, type AddCompressionPolicyOptions } from './addCompressionPolicy.js';
export {
  removeCompressionPolicy,
  type RemoveCompressionPolicyOptions,
} from './removeCompressionPolicy.js';
