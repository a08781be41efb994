// Placeholder entry point, replaced by the real handler in this change.
export const handler = async (): Promise<void> => {
  throw new Error('not implemented yet');
};
