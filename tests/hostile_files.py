"""Hostile (and valid control) uploads, built here: the attacks of issue 11 and variations.

Every builder returns bytes; none of them needs the network or a fixture. The ONNX files
are built with ``onnx.helper``; external-data attacks name ``secret.txt`` and ``.env``,
files the hostile-upload tests plant in the API's working directory with a canary inside.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
import zlib
from collections.abc import Callable

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CANARY = "CANARY-7f3a9c-do-not-leak"


# --------------------------------------------------------------------------------- ONNX


def _linear_nodes() -> list[onnx.NodeProto]:
    return [
        helper.make_node("Flatten", ["x"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "W", "b"], ["logits"]),
    ]


def _linear_initializers() -> list[onnx.TensorProto]:
    rng = np.random.default_rng(0)
    weight = rng.normal(size=(64, 10)).astype(np.float32)
    return [
        numpy_helper.from_array(weight, "W"),
        numpy_helper.from_array(np.zeros(10, np.float32), "b"),
    ]


def _model(
    nodes: list[onnx.NodeProto],
    initializers: list[onnx.TensorProto] | None = None,
    *,
    output: str = "logits",
    sparse_initializers: list[onnx.SparseTensorProto] | None = None,
    check: bool = False,
) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", 10])],
        initializer=initializers if initializers is not None else _linear_initializers(),
        sparse_initializer=sparse_initializers or [],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model)
    return model


def valid_onnx() -> bytes:
    return _model(_linear_nodes(), check=True).SerializeToString()


def onnx_graph_field_first() -> bytes:
    """A valid ONNX model whose top-level ``graph`` field comes first (any order is valid)."""
    data = valid_onnx()
    fields = _top_level_fields(data)
    graph = [f for f in fields if f[0] == 7]
    rest = [f for f in fields if f[0] != 7]
    return b"".join(raw for _, raw in graph + rest)


def _top_level_fields(data: bytes) -> list[tuple[int, bytes]]:
    def varint(position: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = data[position]
            value |= (byte & 0x7F) << shift
            position += 1
            shift += 7
            if not byte & 0x80:
                return value, position

    fields, position = [], 0
    while position < len(data):
        start = position
        key, position = varint(position)
        if key & 7 == 0:
            _, position = varint(position)
        else:
            length, position = varint(position)
            position += length
        fields.append((key >> 3, data[start:position]))
    return fields


def _external(tensor: onnx.TensorProto, location: str) -> onnx.TensorProto:
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.ClearField("int64_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "400")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


def _sparse_external(location: str) -> onnx.SparseTensorProto:
    """A 51 × 51 sparse tensor whose values live in ``location`` (the reported attack)."""
    values = _external(numpy_helper.from_array(np.zeros(100, np.float32), "v"), location)
    indices = numpy_helper.from_array(np.arange(100, dtype=np.int64), "i")
    return helper.make_sparse_tensor(values, indices, [51, 51])


def onnx_constant_sparse_value_external(location: str = "secret.txt") -> bytes:
    """The issue's file read: a ``Constant`` whose ``sparse_value`` has external data."""
    nodes = [
        helper.make_node("Constant", [], ["leak"], sparse_value=_sparse_external(location)),
        *_linear_nodes()[:1],
        helper.make_node("Gemm", ["flat", "W", "b"], ["logits0"]),
        helper.make_node("ReduceSum", ["leak"], ["leak_sum"], keepdims=0),
        helper.make_node("Add", ["logits0", "leak_sum"], ["logits"]),
    ]
    return _model(nodes).SerializeToString()


def onnx_initializer_external() -> bytes:
    initializers = _linear_initializers()
    _external(initializers[0], ".env")
    return _model(_linear_nodes(), initializers).SerializeToString()


def onnx_sparse_initializer_external() -> bytes:
    sparse = _sparse_external("secret.txt")
    sparse.values.name = "S"
    nodes = [*_linear_nodes()[:1], helper.make_node("Gemm", ["flat", "W", "b"], ["logits"])]
    return _model(nodes, sparse_initializers=[sparse]).SerializeToString()


def onnx_constant_value_external() -> bytes:
    tensor = _external(numpy_helper.from_array(np.zeros(10, np.float32), "c"), ".env")
    nodes = [
        helper.make_node("Constant", [], ["c"], value=tensor),
        *_linear_nodes()[:1],
        helper.make_node("Gemm", ["flat", "W", "b"], ["g"]),
        helper.make_node("Add", ["g", "c"], ["logits"]),
    ]
    return _model(nodes).SerializeToString()


def _with_attribute(attribute: onnx.AttributeProto) -> bytes:
    """A linear model with one extra node carrying ``attribute`` (kinds no operator uses:
    the validator must still see the tensor inside)."""
    node = helper.make_node("Identity", ["b"], ["b2"])
    node.attribute.append(attribute)
    return _model([node, *_linear_nodes()]).SerializeToString()


def onnx_attribute_tensors_external() -> bytes:
    tensor = _external(numpy_helper.from_array(np.zeros(10, np.float32), "t"), "secret.txt")
    return _with_attribute(helper.make_attribute("hidden", [tensor]))


def onnx_attribute_sparse_tensors_external() -> bytes:
    return _with_attribute(helper.make_attribute("hidden", [_sparse_external(".env")]))


def _if_node(then_graph: onnx.GraphProto, output: str) -> onnx.NodeProto:
    return helper.make_node(
        "If", ["cond"], [output], then_branch=then_graph, else_branch=then_graph
    )


def _branch(nodes: list[onnx.NodeProto], output: str, name: str) -> onnx.GraphProto:
    return helper.make_graph(
        nodes, name, [], [helper.make_tensor_value_info(output, TensorProto.FLOAT, [10])]
    )


def onnx_nested_subgraph_external(depth: int = 3) -> bytes:
    """External data in a ``Constant`` ``depth`` ``If`` branches deep."""
    tensor = _external(numpy_helper.from_array(np.zeros(10, np.float32), "deep"), ".env")
    inner = _branch([helper.make_node("Constant", [], ["o0"], value=tensor)], "o0", "b0")
    for level in range(1, depth):
        inner = _branch([_if_node(inner, f"o{level}")], f"o{level}", f"b{level}")
    nodes = [
        helper.make_node(
            "Constant", [], ["cond"], value=numpy_helper.from_array(np.array(True), "c")
        ),
        _if_node(inner, "offset"),
        *_linear_nodes()[:1],
        helper.make_node("Gemm", ["flat", "W", "b"], ["g"]),
        helper.make_node("Add", ["g", "offset"], ["logits"]),
    ]
    return _model(nodes).SerializeToString()


def onnx_attribute_graphs_external() -> bytes:
    """External data in a graph held by a ``graphs`` (list) attribute."""
    tensor = _external(numpy_helper.from_array(np.zeros(10, np.float32), "gl"), "secret.txt")
    branch = _branch([helper.make_node("Constant", [], ["o"], value=tensor)], "o", "listed")
    return _with_attribute(helper.make_attribute("hidden", [branch]))


def onnx_training_info_external() -> bytes:
    model = _model(_linear_nodes())
    tensor = _external(numpy_helper.from_array(np.zeros(10, np.float32), "tr"), ".env")
    info = model.training_info.add()
    info.initialization.CopyFrom(helper.make_graph([], "init", [], [], initializer=[tensor]))
    return model.SerializeToString()


def onnx_function_external() -> bytes:
    """External data in a ``Constant`` inside a model-local function's body."""
    tensor = _external(numpy_helper.from_array(np.zeros(10, np.float32), "fn"), ".env")
    function = helper.make_function(
        "local.evil",
        "Leak",
        [],
        ["o"],
        [helper.make_node("Constant", [], ["o"], value=tensor)],
        [helper.make_opsetid("", 17)],
    )
    model = _model(_linear_nodes())
    model.functions.append(function)
    return model.SerializeToString()


def onnx_memory_bomb(side: int = 60_000) -> bytes:
    """A few hundred bytes that ask for ``side² × 4`` bytes (14 GB) on a zero batch."""
    shape = numpy_helper.from_array(np.array([side, side], np.int64), "shape")
    nodes = [
        helper.make_node(
            "ConstantOfShape",
            ["shape"],
            ["big"],
            value=numpy_helper.from_array(np.array([1.0], np.float32), "one"),
        ),
        helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0),
        *_linear_nodes()[:1],
        helper.make_node("Gemm", ["flat", "W", "b"], ["g"]),
        helper.make_node("Add", ["g", "total"], ["logits"]),
    ]
    return _model(nodes, [*_linear_initializers(), shape]).SerializeToString()


def _adding_loop_body() -> onnx.GraphProto:
    """The body of a ``Loop`` that adds 1 to a 64-vector per iteration."""
    return helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Add", ["acc_in", "one"], ["acc_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [64]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [64]),
        ],
        initializer=[numpy_helper.from_array(np.ones(64, np.float32), "one")],
    )


def onnx_endless_loop(trips: int = 10**9) -> bytes:
    """A ``Loop`` of ``trips`` iterations (each adds 1 to a 64-vector) before the logits."""
    nodes = [
        helper.make_node("Loop", ["trips", "cond", "zeros"], ["acc"], body=_adding_loop_body()),
        helper.make_node("ReduceSum", ["acc"], ["total"], keepdims=0),
        *_linear_nodes()[:1],
        helper.make_node("Gemm", ["flat", "W", "b"], ["g"]),
        helper.make_node("Add", ["g", "total"], ["logits"]),
    ]
    constants = [
        numpy_helper.from_array(np.array(trips, np.int64), "trips"),
        numpy_helper.from_array(np.array(True), "cond"),
        numpy_helper.from_array(np.zeros(64, np.float32), "zeros"),
    ]
    return _model(nodes, [*_linear_initializers(), *constants]).SerializeToString()


def onnx_nan_under_noise() -> bytes:
    """A linear classifier on ``sqrt(x)``: finite on the probe's zeros and on images in
    [0, 1], NaN logits as soon as noise makes a pixel negative."""
    nodes = [
        helper.make_node("Sqrt", ["x"], ["root"]),
        helper.make_node("Flatten", ["root"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "W", "b"], ["logits"]),
    ]
    return _model(nodes, check=True).SerializeToString()


#: The input-dependent bombs of :func:`onnx_input_dependent_bomb`.
INPUT_DEPENDENT_BOMBS = ("ConstantOfShape", "Expand", "Tile", "Resize", "Loop")


def onnx_input_dependent_bomb(kind: str, scale: float = 4e4) -> bytes:
    """A linear classifier plus ``0 ×`` the sum of a tensor whose size comes from the data:
    ``n = 1 + int(scale × |min(x)|)``, 1 on the probe's zeros and about 1 on images in
    [0, 1], about ``scale`` under noise of σ = 0.25 over a batch (with the default, a 6 GB
    tensor or 1.6e9 loop trips). ``kind`` makes an ``n × n`` float tensor with ConstantOfShape,
    Expand, Tile or Resize, or (``Loop``) runs ``n²`` iterations adding 1 to a 64-vector.
    """
    if kind not in INPUT_DEPENDENT_BOMBS:
        raise ValueError(f"kind must be one of {INPUT_DEPENDENT_BOMBS}")
    size_nodes = [
        helper.make_node("ReduceMin", ["x"], ["low"], keepdims=0),
        helper.make_node("Abs", ["low"], ["depth"]),
        helper.make_node("Mul", ["depth", "scale"], ["scaled"]),
        helper.make_node("Cast", ["scaled"], ["n0"], to=TensorProto.INT64),
        helper.make_node("Add", ["n0", "plus_one"], ["n"]),
        helper.make_node("Reshape", ["n", "one_dim"], ["n1"]),
        helper.make_node("Concat", ["n1", "n1"], ["side2"], axis=0),
    ]
    constants = [
        numpy_helper.from_array(np.array(scale, np.float32), "scale"),
        numpy_helper.from_array(np.array([1], np.int64), "one_dim"),
        numpy_helper.from_array(np.array(1, np.int64), "plus_one"),
        numpy_helper.from_array(np.ones((1, 1), np.float32), "cell"),
        numpy_helper.from_array(np.zeros(64, np.float32), "zeros"),
        numpy_helper.from_array(np.array(True), "cond"),
        numpy_helper.from_array(np.array([1, 1], np.int64), "ones2"),
    ]
    if kind == "ConstantOfShape":
        one = numpy_helper.from_array(np.array([1.0], np.float32))
        blow = [helper.make_node("ConstantOfShape", ["side2"], ["big"], value=one)]
    elif kind == "Expand":
        blow = [helper.make_node("Expand", ["cell", "side2"], ["big"])]
    elif kind == "Tile":
        blow = [helper.make_node("Tile", ["cell", "side2"], ["big"])]
    elif kind == "Resize":
        blow = [
            helper.make_node("Reshape", ["cell", "ones4"], ["cell4"]),
            helper.make_node("Concat", ["ones2", "side2"], ["sizes"], axis=0),
            helper.make_node("Resize", ["cell4", "", "", "sizes"], ["big"], mode="nearest"),
        ]
        constants.append(numpy_helper.from_array(np.array([1, 1, 1, 1], np.int64), "ones4"))
    else:
        blow = [
            helper.make_node("Mul", ["n", "n"], ["trips"]),
            helper.make_node("Loop", ["trips", "cond", "zeros"], ["big"], body=_adding_loop_body()),
        ]
    nodes = [
        *size_nodes,
        *blow,
        helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0),
        helper.make_node("Mul", ["total", "zero"], ["nothing"]),
        *_linear_nodes()[:1],
        helper.make_node("Gemm", ["flat", "W", "b"], ["g"]),
        helper.make_node("Add", ["g", "nothing"], ["logits"]),
    ]
    constants.append(numpy_helper.from_array(np.array(0.0, np.float32), "zero"))
    return _model(nodes, [*_linear_initializers(), *constants], check=True).SerializeToString()


# ---------------------------------------------------------------- other model formats


def pickle_protocol(protocol: int) -> bytes:
    return pickle.dumps({"weights": [1.0, 2.0]}, protocol=protocol)


def torch_zip_checkpoint() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle_protocol(2))
        archive.writestr("archive/version", "3")
    return buffer.getvalue()


def torchscript_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/code/__torch__.py", "def forward(self): ...")
        archive.writestr("archive/constants.pkl", pickle_protocol(2))
    return buffer.getvalue()


def safetensors_forged_header_length() -> bytes:
    return struct.pack("<Q", 8 * 1024**3) + b'{"a":' + b" " * 64


def safetensors_with_header_length(demo_weights: bytes, length: int) -> bytes:
    """The demo weights rewritten with a JSON header of exactly ``length`` bytes
    (``0x0280`` begins with the bytes 0x80 0x02 of a pickle's protocol marker)."""
    (old_length,) = struct.unpack("<Q", demo_weights[:8])
    header = json.loads(demo_weights[8 : 8 + old_length])
    header["__metadata__"] = {"pad": ""}
    text = json.dumps(header, separators=(",", ":"))
    header["__metadata__"]["pad"] = "x" * (length - len(text))
    text = json.dumps(header, separators=(",", ":"))
    assert len(text) == length, (len(text), length)
    return struct.pack("<Q", length) + text.encode() + demo_weights[8 + old_length :]


# ------------------------------------------------------------------------ input arrays


def npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    """A ``.npy`` version 1.0 header declaring ``shape`` (no data follows)."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


def npy_absurd_shape() -> bytes:
    """256 TB declared in an 80-byte file."""
    return npy_header((2**24, 2**22, 4)) + b"\x00" * 64


def npz_zip_bomb(decompressed_bytes: int = 1024**3) -> bytes:
    """A ~1 MB ``.npz`` whose ``inputs.npy`` inflates to ``decompressed_bytes`` of zeros.

    Built without compressing a gigabyte: after a full flush, deflate compresses the same
    block to the same bytes, so one compressed block is repeated (the CRC is computed)."""
    block = bytes(16 * 1024 * 1024)
    repeats = decompressed_bytes // len(block)
    header = npy_header((repeats * len(block) // 256, 1, 8, 8))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(header + block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = first + again * (repeats - 1) + compressor.flush()
    crc = zlib.crc32(header)
    for _ in range(repeats):
        crc = zlib.crc32(block, crc)
    size = len(header) + repeats * len(block)
    name = b"inputs.npy"
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(stream), size, len(name), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0x21,
        crc,
        len(stream),
        size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    offset = len(local) + len(name) + len(stream)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central) + len(name), offset, 0)
    return local + name + stream + central + name + end


def npz_lying_member_size() -> bytes:
    """A stored member whose npy header declares more data than the member holds."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inputs.npy", npy_header((1_000_000, 1, 8, 8)) + b"\x00" * 1024)
    return buffer.getvalue()


def npz_many_members(count: int = 5000) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(count):
            archive.writestr(f"m{index}.npy", b"")
    return buffer.getvalue()


def npz_object_array() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, inputs=np.array([{"a": 1}, None], dtype=object))
    return buffer.getvalue()


def npy_object_array() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array([[1, "x"]], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def npz_uint64_labels() -> bytes:
    buffer = io.BytesIO()
    np.savez(
        buffer,
        inputs=np.zeros((2, 1, 8, 8), np.float32),
        labels=np.array([1, 2**64 - 1], np.uint64),
    )
    return buffer.getvalue()


def npy_float64_overflowing_float32() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.full((2, 1, 8, 8), 1e300))
    return buffer.getvalue()


def npz_valid() -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(1)
    np.savez_compressed(
        buffer,
        inputs=rng.random((4, 1, 8, 8), dtype=np.float32),
        labels=np.array([0, 1, 2, 3], np.int64),
    )
    return buffer.getvalue()


#: Name → builder of every hostile model file (uploaded as ``POST /v1/models``).
HOSTILE_MODELS: dict[str, Callable[[], bytes]] = {
    "onnx Constant sparse_value external (secret.txt)": onnx_constant_sparse_value_external,
    "onnx Constant sparse_value external (.env)": lambda: onnx_constant_sparse_value_external(
        ".env"
    ),
    "onnx initializer external": onnx_initializer_external,
    "onnx sparse initializer external": onnx_sparse_initializer_external,
    "onnx Constant value external": onnx_constant_value_external,
    "onnx attribute tensors external": onnx_attribute_tensors_external,
    "onnx attribute sparse_tensors external": onnx_attribute_sparse_tensors_external,
    "onnx If subgraph 3 deep external": onnx_nested_subgraph_external,
    "onnx attribute graphs external": onnx_attribute_graphs_external,
    "onnx training_info external": onnx_training_info_external,
    "onnx model-local function external": onnx_function_external,
    "onnx 14 GB ConstantOfShape": onnx_memory_bomb,
    "onnx Loop of 1e9 iterations": onnx_endless_loop,
    "pickle protocol 2": lambda: pickle_protocol(2),
    "pickle protocol 5": lambda: pickle_protocol(5),
    "pickle protocol 0": lambda: pickle_protocol(0),
    "torch.save zip": torch_zip_checkpoint,
    "TorchScript zip": torchscript_archive,
    "safetensors header length 8 GiB": safetensors_forged_header_length,
}

#: Name → builder of every hostile input file (uploaded as ``POST /v1/inputs``).
HOSTILE_INPUTS: dict[str, Callable[[], bytes]] = {
    "npz zip bomb 1 MB -> 1 GiB": npz_zip_bomb,
    "npz member shorter than its header": npz_lying_member_size,
    "npz with 5000 members": npz_many_members,
    "npz object array": npz_object_array,
    "npy object array": npy_object_array,
    "npy declaring 256 TB": npy_absurd_shape,
    "npz uint64 labels 2**64-1": npz_uint64_labels,
    "npy float64 1e300 (inf as float32)": npy_float64_overflowing_float32,
}
