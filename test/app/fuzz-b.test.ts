import { fuzzOperations } from '../helpers/fuzz/run-fuzz';

// The operations are split across two files so they run side by side.
fuzzOperations(1, 2);
