"""Reading an export folder: export.json checked first, then each file against
its recorded size and CRC-32 before it is trusted, then safetensors by hand
(the format is an 8-byte header length, a JSON header, raw little-endian data)."""
import json
import os
import struct
import zlib

import numpy as np

EXPORT_FORMAT = "altup-lab export"
EXPORT_VERSION = 1
_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I32": np.int32, "I64": np.int64}


class ExportError(Exception):
    """The folder is not an export this package reads; the message names the file and what was expected."""


def _crc32(path):
    crc = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            crc = zlib.crc32(chunk, crc)
    return "%08x" % (crc & 0xFFFFFFFF)


def read_export(folder):
    """The manifest (export.json) of an export folder, after checking every file it lists."""
    manifest_path = os.path.join(folder, "export.json")
    try:
        with open(manifest_path) as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise ExportError(f"{manifest_path}: missing (not a folder `altup export` wrote)") from None
    except json.JSONDecodeError as e:
        raise ExportError(f"{manifest_path}: not valid JSON ({e})") from None
    if manifest.get("format") != EXPORT_FORMAT:
        raise ExportError(f"{manifest_path}: format is {manifest.get('format')!r}, expected {EXPORT_FORMAT!r}")
    if manifest.get("version") != EXPORT_VERSION:
        raise ExportError(f"{manifest_path}: version {manifest.get('version')!r}; this package reads version {EXPORT_VERSION}")
    files = manifest.get("files")
    if not isinstance(files, dict) or "model.safetensors" not in files or "config.json" not in files:
        raise ExportError(f"{manifest_path}: 'files' must list model.safetensors and config.json")
    for name, want in files.items():
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise ExportError(f"{path}: listed in export.json but missing")
        size = os.path.getsize(path)
        if size != want.get("bytes"):
            raise ExportError(f"{path}: {size} bytes, export.json says {want.get('bytes')} (a torn or replaced file)")
        crc = _crc32(path)
        if crc != want.get("crc32"):
            raise ExportError(f"{path}: CRC-32 {crc}, export.json says {want.get('crc32')} (the file changed after export)")
    return manifest


def read_config(folder):
    with open(os.path.join(folder, "config.json")) as f:
        return json.load(f)


def read_safetensors(path):
    """{name: numpy array} of a safetensors file, and its __metadata__."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ExportError(f"{path}: {len(data)} bytes, shorter than a safetensors header")
    (header_len,) = struct.unpack("<Q", data[:8])
    if 8 + header_len > len(data):
        raise ExportError(f"{path}: header of {header_len} bytes runs past the end of the file")
    header = json.loads(data[8:8 + header_len])
    metadata = header.pop("__metadata__", {})
    body = memoryview(data)[8 + header_len:]
    tensors = {}
    for name, info in header.items():
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ExportError(f"{path}: tensor {name} has dtype {info['dtype']}, not one of {sorted(_DTYPES)}")
        begin, end = info["data_offsets"]
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        if end > len(body) or end - begin != count * np.dtype(dtype).itemsize:
            raise ExportError(f"{path}: tensor {name}'s byte range [{begin}, {end}) does not fit its shape {info['shape']}")
        tensors[name] = np.frombuffer(body[begin:end], dtype=np.dtype(dtype).newbyteorder("<")).reshape(info["shape"]).copy()
    return tensors, metadata


def read_tokens(path, dtype="uint16"):
    """A token file: nanoGPT-style train.bin/val.bin (uint16 or uint32), or the engine's token cache (int32le)."""
    kinds = {"uint16": "<u2", "uint32": "<u4", "int32le": "<i4"}
    if dtype not in kinds:
        raise ExportError(f"{path}: dtype {dtype!r}; expected one of {sorted(kinds)}")
    raw = np.fromfile(path, dtype=np.dtype(kinds[dtype]))
    return raw.astype(np.int64)
