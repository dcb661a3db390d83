#!/usr/bin/env python3
# make-corpus.py — writes tests/corrupt/good/ (data the tiny models train
# on) and tests/corrupt/bad/ (each a broken copy of one of them), and
# prints the case table of tests/corrupt/cases: FILE SLOT MESSAGE.
# The files are committed; this is how they were made.
import os, struct

here = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(here, 'good'), exist_ok=True)
os.makedirs(os.path.join(here, 'bad'), exist_ok=True)

def idx(t, dims, payload):
    return bytes([0, 0, t, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims) + payload

N = 24
pix = bytes((i * 37 + j * 11) % 256 for i in range(N) for j in range(16))
lab = bytes(i % 3 for i in range(N))
images = idx(8, [N, 4, 4], pix)
labels = idx(8, [N], lab)
rows = ['f1,f2,f3,f4,class'] + ['%d,%g,%g,%d,%d' % (i, i / 7, -i / 3, i % 5, i % 3) for i in range(N)]
csv = '\n'.join(rows) + '\n'

def write(d, name, data):
    with open(os.path.join(here, d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())

write('good', 'images', images)
write('good', 'labels', labels)
write('good', 'train.csv', csv)

cases = []
def bad(name, slot, data, msg):
    write('bad', name, data)
    cases.append((name, slot, msg))

def poke(b, off, new):
    b = bytearray(b); b[off:off + len(new)] = new; return bytes(b)

# IDX images
bad('images-truncated', 'images', images[:len(images) // 2], 'truncated: the header promises 384 bytes')
bad('images-empty', 'images', b'', 'not an IDX file (bad magic number)')
bad('images-magic-zip', 'images', b'PK\x03\x04' + images[4:], 'not an IDX file (bad magic number)')
bad('images-type', 'images', poke(images, 2, b'\x07'), 'unknown IDX element type 0x07')
bad('images-rank0', 'images', poke(images, 3, b'\x00'), 'IDX with 0 dimensions')
bad('images-rank5', 'images', poke(images, 3, b'\x05'), 'IDX with 5 dimensions')
bad('images-header-cut', 'images', images[:10], 'truncated IDX header')
bad('images-count-huge', 'images', poke(images, 4, b'\xff\xff\xff\xff'), 'IDX dimensions too large')
bad('images-count-bitflip', 'images', poke(images, 7, bytes([N ^ 0x40])), 'truncated: the header promises')
bad('images-dims-overflow', 'images', idx(8, [N, 65536, 65536], pix), 'IDX dimensions too large')
bad('images-dim-zero', 'images', idx(8, [838860802, 4, 0], b''), 'IDX dimension 3 is 0: samples of no values')
bad('images-trailing', 'images', images + b'\0\0\0', '3 bytes after the data the header describes')
bad('images-shape', 'images', idx(8, [N, 2, 8], pix), 'samples are [1,2,8], the model\'s input is [1,4,4]')
bad('images-size', 'images', idx(8, [N, 5, 5], bytes(N * 25)), 'samples have 25 values, the model\'s input takes 16')
bad('images-nan', 'images', idx(0x0d, [N, 4, 4], struct.pack('>%df' % (N * 16), *([0.5] * 100 + [float('nan')] + [0.5] * (N * 16 - 101)))), 'value 100 is not a finite float')
bad('images-inf-double', 'images', idx(0x0e, [N, 4, 4], struct.pack('>%dd' % (N * 16), *([1.0] * 7 + [float('inf')] + [1.0] * (N * 16 - 8)))), 'value 7 is not a finite float')
# IDX labels
bad('labels-range', 'labels', idx(8, [N], poke(lab, 5, b'\x03')), 'label 3 of sample 5 is outside [0,3)')
bad('labels-negative', 'labels', idx(9, [N], poke(lab, 2, b'\xff')), 'label -1 of sample 2 is outside [0,3)')
bad('labels-count', 'labels', idx(8, [N - 1], lab[:-1]), '23 labels, but the images file has 24 samples')
bad('labels-float', 'labels', idx(0x0d, [N], struct.pack('>%df' % N, *[float(v) for v in lab])), 'class labels must be one integer per sample')
bad('labels-rank2', 'labels', idx(8, [N, 1], lab), 'class labels must be one integer per sample')
bad('labels-truncated', 'labels', labels[:-5], 'truncated: the header promises 24 bytes')
# CSV
def csv_with(line, text):
    r = list(rows); r[line - 1] = text; return '\n'.join(r) + '\n'
bad('csv-nan.csv', 'train.csv', csv_with(5, '1,nan,2,3,0'), ":5: column 2: 'nan' is not a finite float")
bad('csv-inf.csv', 'train.csv', csv_with(7, '1,2,-inf,3,0'), ":7: column 3: '-inf' is not a finite float")
bad('csv-overflow.csv', 'train.csv', csv_with(9, '1e999,2,3,4,0'), ":9: column 1: '1e999' is not a finite float")
bad('csv-text.csv', 'train.csv', csv_with(3, '1,2,abc,4,0'), ":3: column 3: 'abc' is not a number")
bad('csv-empty-cell.csv', 'train.csv', csv_with(4, '1,,3,4,0'), ':4: column 2 is empty')
bad('csv-ragged.csv', 'train.csv', csv_with(6, '1,2,3,0'), ':6: 4 columns, but line 2 has 5')
bad('csv-label-range.csv', 'train.csv', csv_with(8, '1,2,3,4,3'), ':8: label 3 is not a class in [0,3)')
bad('csv-label-fraction.csv', 'train.csv', csv_with(10, '1,2,3,4,1.5'), ':10: label 1.5 is not a class in [0,3)')
bad('csv-header-only.csv', 'train.csv', rows[0] + '\n', 'no data rows')
bad('csv-empty.csv', 'train.csv', b'', 'no data rows')
bad('csv-binary.csv', 'train.csv', bytes(range(256)) * 2, 'is not a number')
bad('csv-columns.csv', 'train.csv', '\n'.join(r.rsplit(',', 2)[0] + ',' + r.rsplit(',', 1)[1] for r in rows) + '\n', 'samples have 3 values, the model\'s input takes 4')
bad('csv-long-cell.csv', 'train.csv', csv_with(2, '1' * 100 + ',2,3,4,0'), ':2: column 1 is not a number')

for c in cases:
    print('%s\t%s\t%s' % c)
