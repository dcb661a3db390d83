"""st.py — a small safetensors reader and writer on numpy arrays.

Debian's python3-torch (1.13) comes without the `safetensors` package, so
the reference test carries its own.  The format:

    8 bytes       N, the header length, unsigned little-endian
    N bytes       a JSON object (UTF-8): for every tensor
                  "name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}
                  and optionally "__metadata__": {"key": "string value", ...}
    the rest      the data: tensor `name` is bytes [b, e) of this part,
                  little-endian, row-major (C order)

The writer pads the header with spaces to a multiple of 8 bytes, so the
data start 8-aligned, and lays the tensors out in name order without gaps.
The reader checks what a careful loader should: the header length fits the
file, the JSON is an object, every entry has a known dtype, a shape of
non-negative integers and offsets inside the data part whose length matches
the shape, and no two tensors overlap.

    write(path, {"w": np.ndarray, ...}, metadata={"k": "v"})
    tensors, metadata = read(path)      # dict of np.ndarray, dict of str
"""

import json
import os
import struct

import numpy as np

# safetensors dtype names and their little-endian numpy types.
DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U8": "u1",
    "BOOL": "?",
}
_NAMES = {np.dtype(v): k for k, v in DTYPES.items()}

MAX_HEADER = 100 * 1024 * 1024


class FormatError(ValueError):
    """The file is not a well-formed safetensors file."""


def write(path, tensors, metadata=None):
    """Writes tensors (a dict name -> array) to path, atomically: the data go
    to path.tmp, which then replaces path."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        if name == "__metadata__":
            raise ValueError("'__metadata__' is not a tensor name")
        a = np.asarray(tensors[name])
        dt = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
        if dt not in _NAMES:
            raise ValueError("%s: unsupported dtype %s" % (name, a.dtype))
        raw = np.ascontiguousarray(a, dtype=dt).tobytes()
        header[name] = {
            "dtype": _NAMES[dt],
            "shape": [int(d) for d in a.shape],
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * (-len(hj) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read(path):
    """Returns (tensors, metadata) of the safetensors file at path; raises
    FormatError naming the file when it is malformed."""
    with open(path, "rb") as f:
        buf = f.read()

    def bad(msg):
        return FormatError("%s: %s" % (path, msg))

    if len(buf) < 8:
        raise bad("shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > MAX_HEADER or 8 + n > len(buf):
        raise bad("header length %d does not fit in the file (%d bytes)"
                  % (n, len(buf)))
    try:
        header = json.loads(buf[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise bad("header is not valid JSON: %s" % e)
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    data = memoryview(buf)[8 + n:]

    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(v, str) for v in metadata.values()):
        raise bad("__metadata__ is not an object of strings")

    tensors = {}
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict):
            raise bad("%s: entry is not an object" % name)
        dtype = info.get("dtype")
        shape = info.get("shape")
        offs = info.get("data_offsets")
        if dtype not in DTYPES:
            raise bad("%s: unknown dtype %r" % (name, dtype))
        if not isinstance(shape, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 0
                for d in shape):
            raise bad("%s: bad shape %r" % (name, shape))
        if (not isinstance(offs, list) or len(offs) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool)
                           for o in offs)
                or not 0 <= offs[0] <= offs[1] <= len(data)):
            raise bad("%s: data_offsets %r outside the %d data bytes"
                      % (name, offs, len(data)))
        dt = np.dtype(DTYPES[dtype])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if offs[1] - offs[0] != count * dt.itemsize:
            raise bad("%s: %d bytes for shape %s of %s (expected %d)"
                      % (name, offs[1] - offs[0], shape, dtype,
                         count * dt.itemsize))
        a = np.frombuffer(data[offs[0]:offs[1]], dtype=dt, count=count)
        tensors[name] = a.reshape(shape).astype(dt.newbyteorder("="))
        if offs[1] > offs[0]:
            spans.append((offs[0], offs[1], name))
    spans.sort()
    for (b0, e0, n0), (b1, _, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise bad("tensors %s and %s overlap" % (n0, n1))
    return tensors, metadata


def _selftest():
    """Round trip and malformed-file checks; run: python3 st.py"""
    import tempfile

    rng = np.random.default_rng(7)
    src = {
        "linear1.weight": rng.standard_normal((4, 3)).astype(np.float32),
        "linear1.bias": np.arange(4, dtype=np.float32),
        "scalar": np.array(1.5, dtype=np.float32),
        "empty": np.zeros((0, 5), np.float32),
        "ids": np.array([1, -2, 3], dtype=np.int64),
        "be": np.arange(3, dtype=">f4"),
    }
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.safetensors")
        write(p, src, {"format": "pt", "step": 3})
        with open(p, "rb") as f:
            raw = f.read()
        (n,) = struct.unpack("<Q", raw[:8])
        assert n % 8 == 0, n
        got, meta = read(p)
        assert meta == {"format": "pt", "step": "3"}, meta
        assert sorted(got) == sorted(src)
        for k, v in src.items():
            assert got[k].shape == v.shape and np.array_equal(got[k], v), k
        assert got["linear1.weight"].dtype == np.float32
        # The byte layout is the documented one.
        h = json.loads(raw[8:8 + n])
        b, e = h["linear1.bias"]["data_offsets"]
        assert raw[8 + n + b:8 + n + e] == struct.pack("<4f", 0, 1, 2, 3)

        def expect_error(blob, what):
            with open(p, "wb") as f:
                f.write(blob)
            try:
                read(p)
            except FormatError:
                return
            raise AssertionError("accepted a file with " + what)

        def make(hdr, data=b""):
            hj = json.dumps(hdr).encode()
            return struct.pack("<Q", len(hj)) + hj + data

        ok = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
        expect_error(raw[:5], "no header length")
        expect_error(struct.pack("<Q", 1 << 40) + b"{}", "a huge header")
        expect_error(make(ok, b"\0" * 4), "truncated data")
        expect_error(make(ok)[:-1] + b"]" + b"\0" * 8, "broken JSON")
        expect_error(make({"a": dict(ok["a"], dtype="F33")}, b"\0" * 8),
                     "an unknown dtype")
        expect_error(make({"a": dict(ok["a"], shape=[3])}, b"\0" * 8),
                     "a shape that does not match")
        expect_error(make({"a": ok["a"], "b": ok["a"]}, b"\0" * 8),
                     "overlapping tensors")
        expect_error(make({"__metadata__": {"k": 1}}), "non-string metadata")
        with open(p, "wb") as f:
            f.write(make(ok, b"\0" * 8))
        got, meta = read(p)
        assert meta == {} and np.array_equal(got["a"], np.zeros(2, np.float32))
    print("st.py: self-test ok")


if __name__ == "__main__":
    _selftest()
