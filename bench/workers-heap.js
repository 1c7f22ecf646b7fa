// Builds the heaps of the workers benchmark (bench/workers.sh), then aborts so the kernel writes
// a core. Usage: node --expose-gc workers-heap.js WORKERS PER_ISOLATE
//   the main thread and WORKERS workers (0: the main thread alone, the baseline), each isolate
//   holding PER_ISOLATE customers (a customer: an object, its name string, its orders array
//   with two Order objects). Each worker collects its garbage and blocks; then the main thread
//   collects its own and aborts.
'use strict';
const { Worker } = require('worker_threads');
const workers = Number(process.argv[2] || 8);
const perIsolate = Number(process.argv[3] || 100000);

const build = `
  class Order { constructor(i) { this.id = i; this.total = i * 1.5; this.state = 'open'; } }
  class Customer { constructor(i) { this.name = 'customer-' + i; this.orders = []; } }
  const customers = [];
  for (let i = 0; i < n; i++) {
    const c = new Customer(i);
    c.orders.push(new Order(i), new Order(i + 1));
    customers.push(c);
  }
  globalThis.keep = customers;
  global.gc();
`;
const ready = new Int32Array(new SharedArrayBuffer(8));
for (let w = 0; w < workers; w++) {
  new Worker(`
    const { workerData: { n, ready } } = require('worker_threads');
    ${build}
    Atomics.add(ready, 0, 1);
    Atomics.notify(ready, 0);
    for (;;) Atomics.wait(ready, 1, 0);
  `, { eval: true, workerData: { n: perIsolate, ready } });
}
new Function('n', build)(perIsolate);
for (let i = 0; i < 600 && Atomics.load(ready, 0) < workers; i++)
  Atomics.wait(ready, 0, Atomics.load(ready, 0), 1000);
if (Atomics.load(ready, 0) < workers) throw new Error('workers-heap: the workers did not get ready');
global.gc();
process.abort();
