// Worker side of computeTopLists: one contiguous range of users, written into the shared output.
import { parentPort, workerData } from 'node:worker_threads';
import { computeTopListRange, type TopListInput, type TopLists } from './topn';

const { input, from, to, out } = workerData as { input: TopListInput; from: number; to: number; out: TopLists };
computeTopListRange(input, from, to, out);
parentPort!.postMessage('done');
