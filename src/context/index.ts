/**
 * Contexts, as nats and kubectl have them: named sets of brokers (or a cluster), admin
 * addresses and a token, saved in `<config dir>/contexts.yaml`, one of them current; and
 * the one function that decides where a command connects (flags, then `--context` or
 * RSB_CONTEXT, then the current context, then the default broker).
 */
export {
  CONFIG_DIR_ENV,
  CONTEXT_ENV,
  CONTEXT_SCHEMA,
  CONTEXTS_FILE_NAME,
  CONTEXTS_FILE_VERSION,
  checkContextName,
  contextsFilePath,
  readContextsFile,
  resolveConfigDir,
  type Context,
  type ContextsFile,
  type ContextTls,
} from './context-file.js';
export {
  addContext,
  chooseContext,
  CONTEXT_ORIGIN,
  listContexts,
  removeContext,
  showContext,
  useContext,
  type AddContextInput,
  type AddContextResult,
  type ChosenContext,
  type ContextList,
  type ContextOrigin,
  type ContextStoreOptions,
  type NamedContext,
} from './context-store.js';
export { resolveBrokerTarget, TARGET_ORIGIN, type BrokerTarget, type TargetFlags, type TargetOrigin } from './broker-target.js';
export { describeContextTarget, formatContext, formatContextList, maskToken, toContextView, type ContextView } from './format-contexts.js';
