// Builds a big heap for the benchmark: millions of class instances, strings and arrays, then
// aborts so the kernel writes a core of about 1 GB. Usage: node --max-old-space-size=4096
// --expose-gc big-heap.js [SCALE]   (SCALE 1.0 gives about 16 million objects)
'use strict';
const scale = Number(process.argv[2] || 1);
class Order { constructor(i) { this.id = i; this.total = i * 1.5; this.state = 'open'; } }
class Customer { constructor(i) { this.name = 'customer-' + i; this.orders = []; } }
const customers = [];
const n = Math.floor(2_000_000 * scale);
for (let i = 0; i < n; i++) {
  const c = new Customer(i);              // object + string + array
  c.orders.push(new Order(i), new Order(i + 1));  // 2 objects + 2 heap numbers
  customers.push(c);
}
const tags = [];
for (let i = 0; i < n; i++) tags.push('tag:' + (i % 1000) + ':' + i);  // strings
globalThis.keep = { customers, tags };
global.gc();
process.abort();
