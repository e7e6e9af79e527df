import { MemoryConversationData } from '../../../lambdas/adapters/memory/memory-conversation-store.js';
import { conversationStoreContract } from './conversation-store-contract.js';

conversationStoreContract('MemoryConversationStore', async () => {
  const data = new MemoryConversationData();
  return (tenantId) => data.forTenant(tenantId);
});
