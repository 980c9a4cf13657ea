export { addForeignKey } from './addForeignKey.js';
export { dropForeignKey } from './dropForeignKey.js';
export {
  FOREIGN_KEY_ACTIONS,
  foreignKeySupportCheck,
  type ForeignKeyAction,
  type ForeignKeyOptions,
} from './foreign-key.js';
