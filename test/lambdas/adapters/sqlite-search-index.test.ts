import { SqliteSearchIndex } from '../../../lambdas/adapters/local/sqlite-search-index.js';
import { searchIndexContract } from './search-index-contract.js';

searchIndexContract('SQLite FTS5', async () => ({ index: new SqliteSearchIndex(':memory:'), settle: async () => undefined }));
