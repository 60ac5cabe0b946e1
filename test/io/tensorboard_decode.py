#!/usr/bin/env python3
"""Reads a TensorBoard event file with nothing of batchlab's: the TFRecord framing and its CRC-32C
here, the Event message through classes that protoc builds from TensorBoard's field layout, parsed
and re-serialized by the protobuf runtime (Debian: protobuf-compiler, python3-protobuf).

Usage: tensorboard_decode.py EVENT_FILE
Prints one JSON object per record, in file order, as a JSON list. Floats are given as Python's
repr (nan, inf, -0.0 included) so that no value is rounded or lost on the way. Exits 1 with
"EVENT_FILE: <what> at byte offset <n>" when a record is truncated, fails a CRC or does not parse.
"""
import importlib
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

# The field numbers and types of tensorflow/tensorboard's tensorboard/compat/proto/event.proto and
# summary.proto. Members of the two oneofs that scalars do not use are kept with their number and
# wire type (their messages as bytes), so that a field written under a wrong number, or two members
# of one oneof in one Event, shows as a record that does not re-serialize to the bytes written.
PROTO = """
syntax = "proto3";
package tensorboard;

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
    bytes log_message = 6;          // LogMessage in event.proto
    bytes session_log = 7;          // SessionLog
    bytes tagged_run_metadata = 8;  // TaggedRunMetadata
    bytes meta_graph_def = 9;
  }
  bytes source_metadata = 10;       // SourceMetadata
}

message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    bytes metadata = 9;             // SummaryMetadata
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
      bytes image = 4;              // Summary.Image
      bytes histo = 5;              // HistogramProto
      bytes audio = 6;              // Summary.Audio
      bytes tensor = 8;             // TensorProto
    }
  }
  repeated Value value = 1;
}
"""


def build_event_class(out):
    """Compiles PROTO with protoc into the folder `out` and returns its Event class."""
    with open(os.path.join(out, "tb_event.proto"), "w") as f:
        f.write(PROTO)
    subprocess.run(["protoc", "--proto_path=" + out, "--python_out=" + out, "tb_event.proto"], check=True)
    sys.path.insert(0, out)
    return importlib.import_module("tb_event_pb2").Event


def crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


# RFC 3720's vectors, so that a wrong table cannot agree with a wrong writer.
assert crc32c(b"123456789") == 0xE3069283
assert crc32c(bytes(32)) == 0x8A9136AA


def number(x):
    return "nan" if math.isnan(x) else repr(x)


def records(path, data):
    """Yields (offset, payload) for each TFRecord, checking both masked CRCs."""
    offset = 0
    while offset < len(data):
        def fail(why):
            sys.exit("%s: %s at byte offset %d" % (path, why, offset))

        if offset + 12 > len(data):
            fail("truncated header")
        (length,) = struct.unpack_from("<Q", data, offset)
        (length_crc,) = struct.unpack_from("<I", data, offset + 8)
        if length_crc != masked_crc32c(data[offset : offset + 8]):
            fail("length CRC mismatch")
        end = offset + 12 + length
        if end + 4 > len(data):
            fail("truncated data")
        (data_crc,) = struct.unpack_from("<I", data, end)
        if data_crc != masked_crc32c(data[offset + 12 : end]):
            fail("data CRC mismatch")
        yield offset, data[offset + 12 : end]
        offset = end + 4


def describe(event, payload, offset):
    return {
        "offset": offset,
        "wall_time": number(event.wall_time),
        # A string: JSON numbers past 2^53 would be rounded on the way back.
        "step": str(event.step),
        "what": event.WhichOneof("what"),
        "file_version": event.file_version,
        "values": [
            {"tag": v.tag, "kind": v.WhichOneof("value"), "simple_value": number(v.simple_value)}
            for v in event.summary.value
        ],
        # Without the fields it does not know, the runtime writes the parsed message back byte for
        # byte: no misnumbered, mistyped, repeated or reordered field in the record.
        "canonical": known_fields_only(event).SerializeToString() == payload,
    }


def known_fields_only(event):
    # The runtime keeps unknown fields and writes them back in place, so they must go first.
    copy = type(event)()
    copy.CopyFrom(event)
    copy.DiscardUnknownFields()
    return copy


def main():
    path = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="tb-proto-") as out:
        Event = build_event_class(out)
    with open(path, "rb") as f:
        data = f.read()
    out = []
    for offset, payload in records(path, data):
        event = Event()
        try:
            event.ParseFromString(payload)
        except Exception as err:  # the runtime's DecodeError; its exact class varies by version
            sys.exit("%s: Event does not parse (%s) at byte offset %d" % (path, err, offset))
        out.append(describe(event, payload, offset))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
