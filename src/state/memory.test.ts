import { MemoryState } from './memory.ts';
import { stateContract } from './contract.test-helper.ts';

stateContract('memory', async () => ({ state: new MemoryState() }));
