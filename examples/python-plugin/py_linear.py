#!/usr/bin/env python3
"""py-linear: a linear encoder or decoder for feature-extractor, in Python's standard library only.

    output = input W + b          (W: inputs x outputs, b: outputs)

trained with Adam or plain SGD. An encoder and a decoder of this kind together form a linear
autoencoder, which learns the principal subspace of the windows (like PCA).

Written from docs/PROTOCOL.md alone. One file serves both roles: it is installed twice, as
`py_linear_encoder.py` under encoders/ and as `py_linear_decoder.py` under decoders/ (see
encoder/plugin.json and decoder/plugin.json beside it), and takes its role from the name it
was installed under. A plugin package pins one executable only, so the whole plugin is this
one file.

It speaks both tensor transports (base64 and binary). Weights are kept in float32, the
precision they are exported in, so that an imported model computes exactly what the
exported one did; the arithmetic itself is done in Python floats (double).
"""
import array
import base64
import json
import math
import os
import random
import struct
import sys
from operator import mul

NAME = "py-linear"
VERSION = "1.0.0"
PROTOCOL = {"min": 1, "max": 1}
TRANSPORTS = ("binary", "base64")
MAX_FRAME = 256 << 20
MAX_HEADER = 1024

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
WRONG_STATE, STATE_MISMATCH, NUMERICAL_ERROR = -32000, -32001, -32002


def role_from_file_name():
    base = os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else "")
    roles = [r for r in ("encoder", "decoder") if r in base]
    if len(roles) != 1:
        sys.stderr.write("py-linear: install me as py_linear_encoder.py or py_linear_decoder.py (got %r)\n" % base)
        sys.exit(2)
    return roles[0]


ROLE = role_from_file_name()

PARAMETERS = {
    "learning_rate": {"type": "number", "default": 0.01, "minimum": 0, "maximum": 10,
                      "description": "Step size of the optimiser."},
    "optimizer": {"type": "string", "default": "adam", "enum": ["adam", "sgd"],
                  "description": "adam (Keras form: beta1 0.9, beta2 0.999, epsilon 1e-7) or sgd (plain gradient descent)."},
    "l2_reg": {"type": "number", "default": 0, "minimum": 0, "maximum": 1,
               "description": "L2 weight decay added to the gradient of every weight (l2_reg * w)."},
    "use_bias": {"type": "boolean", "default": True, "description": "Whether the layer has a bias vector b."},
    "log_every": {"type": "integer", "default": 0, "minimum": 0, "maximum": 1000000,
                  "description": "Send a log notification every N optimiser steps (0: never)."},
}
DEBUG_VARIABLES = ["input_shape", "output_shape", "parameter_count", "steps", "optimizer", "learning_rate"]


class RPCError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


class FrameError(Exception):
    pass


# ---------------------------------------------------------------- framing (section 2)

# stdout carries frames and nothing else: keep a private copy of it for the protocol and
# point descriptor 1 at stderr, so that a stray print cannot corrupt the stream.
_rpc_fd = os.dup(1)
os.dup2(2, 1)
OUT = os.fdopen(_rpc_fd, "wb")
IN = sys.stdin.buffer


def read_frame():
    """(json bytes, attachment bytes), or None at a clean end of input between frames."""
    header = bytearray()
    while not header.endswith(b"\r\n\r\n"):
        c = IN.read(1)
        if not c:
            if header:
                raise FrameError("stream ended inside a frame")
            return None
        header += c
        if len(header) > MAX_HEADER:
            raise FrameError("no end of header within %d bytes" % MAX_HEADER)
    try:
        text = bytes(header[:-4]).decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError("header is not UTF-8")
    fields = {}
    for line in text.split("\r\n"):
        name, sep, value = line.partition(":")
        name, value = name.lower(), value.lstrip(" \t")
        if not sep or name not in ("content-length", "attachment-length", "content-type"):
            raise FrameError("bad header line %r" % line[:40])
        if name == "content-type":
            continue
        if name in fields:
            raise FrameError(name + " given twice")
        if not (value.isascii() and value.isdigit() and 1 <= len(value) <= 12):
            raise FrameError(name + " is not a decimal number")
        fields[name] = int(value)
    if "content-length" not in fields:
        raise FrameError("content-length missing")
    n, m = fields["content-length"], fields.get("attachment-length", 0)
    if n + m > MAX_FRAME:
        raise FrameError("frame of %d bytes is over the %d-byte limit" % (n + m, MAX_FRAME))
    body, attachment = IN.read(n), IN.read(m)
    if len(body) != n or len(attachment) != m:
        raise FrameError("stream ended inside a frame")
    return body, attachment


def write_frame(obj, attachment=b""):
    body = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")
    header = "Content-Length: %d\r\n" % len(body)
    if attachment:
        header += "Attachment-Length: %d\r\n" % len(attachment)
    OUT.write(header.encode("ascii") + b"\r\n" + body + bytes(attachment))
    OUT.flush()


# ---------------------------------------------------------------- tensors (section 4)

def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def is_int(v):
    return type(v) is int  # bool is a subclass of int, and not a JSON number


def decode_tensor(t, where, attachment, binary):
    """Tensor object -> (shape, list of floats); RPCError -32602 when it is not a valid tensor."""
    def bad(why):
        return RPCError(INVALID_PARAMS, "%s: tensor: %s" % (where, why))
    if not isinstance(t, dict):
        raise bad("not a tensor object")
    if t.get("dtype") != "f32":
        raise bad('dtype must be "f32"')
    shape = t.get("shape")
    if not isinstance(shape, list) or not 1 <= len(shape) <= 4 or not all(is_int(d) and d >= 0 for d in shape):
        raise bad("shape must be 1 to 4 non-negative integers")
    size = 4 * count(shape)
    if "data" in t and "offset" in t:
        raise bad("has both data and offset")
    if "data" in t:
        data = t["data"]
        if not isinstance(data, str) or len(data) != (size + 2) // 3 * 4:
            raise bad("data is not the base64 of the %d bytes shape %s needs" % (size, shape))
        try:
            raw = base64.b64decode(data, validate=True)
        except ValueError:
            raise bad("data is not valid base64")
    elif "offset" in t:
        if not binary:
            raise bad("offset given but the transport is base64")
        o = t["offset"]
        if not is_int(o) or o < 0 or o % 4 or o + size > len(attachment):
            raise bad("%d bytes at offset %r are outside the %d-byte attachment or misaligned" % (size, o, len(attachment)))
        raw = attachment[o:o + size]
    else:
        raise bad('needs "data" (base64) or "offset" (binary)')
    if len(raw) != size:
        raise bad("shape %s needs %d bytes, data has %d" % (shape, size, len(raw)))
    values = struct.unpack("<%df" % (size // 4), raw)
    if not all(map(math.isfinite, values)):
        raise bad("NaN or infinity")
    return shape, values


class Encoder:
    """Encodes the tensors of one outgoing message under the negotiated transport."""

    def __init__(self, binary):
        self.binary = binary
        self.attachment = bytearray()

    def tensor(self, shape, values):
        if not all(map(math.isfinite, values)):
            raise RPCError(NUMERICAL_ERROR, "the computation produced NaN or infinity")
        try:
            raw = struct.pack("<%df" % len(values), *values)
        except OverflowError:
            raise RPCError(NUMERICAL_ERROR, "a value is outside the float32 range")
        if self.binary:
            offset = len(self.attachment)
            self.attachment += raw
            return {"dtype": "f32", "shape": list(shape), "offset": offset}
        return {"dtype": "f32", "shape": list(shape), "data": base64.b64encode(raw).decode("ascii")}


# ---------------------------------------------------------------- parameters (section 6.1)

def check_parameter(name, spec, value):
    def bad(why):
        return RPCError(INVALID_PARAMS, "parameter '%s': %s" % (name, why))
    kind = spec["type"]
    if kind == "integer":
        if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                and value == int(value) and abs(value) <= 2 ** 53):
            raise bad("expected an integer, got %s" % json.dumps(value))
    elif kind == "number":
        if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)):
            raise bad("expected a finite number, got %s" % json.dumps(value))
    elif kind == "string":
        if not isinstance(value, str):
            raise bad("expected a string, got %s" % json.dumps(value))
        if "enum" in spec and value not in spec["enum"]:
            raise bad("'%s' is not one of %s" % (value[:64], ", ".join(spec["enum"])))
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise bad("expected true or false, got %s" % json.dumps(value))
    if kind in ("integer", "number"):
        if "minimum" in spec and value < spec["minimum"]:
            raise bad("%s is below the minimum %s" % (value, spec["minimum"]))
        if "maximum" in spec and value > spec["maximum"]:
            raise bad("%s is above the maximum %s" % (value, spec["maximum"]))


def resolve_parameters(given):
    if not isinstance(given, dict):
        raise RPCError(INVALID_PARAMS, "params.parameters should be an object")
    for name in sorted(given):
        if name not in PARAMETERS:
            raise RPCError(INVALID_PARAMS, "unknown parameter '%s' (known: %s)" % (name[:64], ", ".join(sorted(PARAMETERS))))
    values = {}
    for name, spec in PARAMETERS.items():
        value = given.get(name, spec["default"])
        check_parameter(name, spec, value)
        values[name] = value
    return values


def check_shape(name, shape):
    if (not isinstance(shape, list) or not 1 <= len(shape) <= 3
            or not all(is_int(d) and 1 <= d <= 1 << 20 for d in shape) or count(shape) > 1 << 24):
        raise RPCError(INVALID_PARAMS, "params.%s must have 1 to 3 dimensions, each 1 to 2^20, product at most 2^24" % name)


# ---------------------------------------------------------------- the model

def f32(values):
    """Rounds to float32: the precision weights are kept and exported in."""
    return array.array("f", values)


class LinearModel:
    def __init__(self, input_shape, output_shape, seed, parameters):
        self.input_shape, self.output_shape = input_shape, output_shape
        self.n_in, self.n_out = count(input_shape), count(output_shape)
        self.parameters = parameters
        self.use_bias = parameters["use_bias"]
        rng = random.Random(seed)
        limit = math.sqrt(6.0 / (self.n_in + self.n_out))  # Glorot uniform
        self.weight = f32(rng.uniform(-limit, limit) for _ in range(self.n_in * self.n_out))  # [in, out], row-major
        self.bias = f32([0.0] * self.n_out)
        self.zero_gradients()
        self.moments = {}  # Adam: name -> (m, v)
        self.steps = 0
        self.remembered = None  # the inputs of the last training forward

    def tensors(self):
        out = {"linear.weight": ([self.n_in, self.n_out], self.weight)}
        if self.use_bias:
            out["linear.bias"] = ([self.n_out], self.bias)
        return out

    @property
    def parameter_count(self):
        return sum(count(shape) for shape, _ in self.tensors().values())

    def zero_gradients(self):
        self.grad = {"linear.weight": [0.0] * (self.n_in * self.n_out), "linear.bias": [0.0] * self.n_out}

    def columns(self):
        return [list(self.weight[j::self.n_out]) for j in range(self.n_out)]

    def forward(self, rows):
        cols, bias = self.columns(), (list(self.bias) if self.use_bias else [0.0] * self.n_out)
        return [[b + sum(map(mul, x, c)) for c, b in zip(cols, bias)] for x in rows]

    def backward(self, grads, need_input_grad):
        xs, n_out = self.remembered, self.n_out
        x_cols, g_cols = list(zip(*xs)), list(zip(*grads))
        gw = self.grad["linear.weight"]
        for i, xc in enumerate(x_cols):
            base = i * n_out
            for j, gc in enumerate(g_cols):
                gw[base + j] += sum(map(mul, xc, gc))
        if self.use_bias:
            gb = self.grad["linear.bias"]
            for j, gc in enumerate(g_cols):
                gb[j] += sum(gc)
        if not need_input_grad:
            return None
        w_rows = [list(self.weight[i * n_out:(i + 1) * n_out]) for i in range(self.n_in)]
        return [[sum(map(mul, g, w)) for w in w_rows] for g in grads]

    def step(self):
        self.steps += 1
        p = self.parameters
        lr, l2 = float(p["learning_rate"]), float(p["l2_reg"])
        for name, (_, value) in self.tensors().items():
            grad = self.grad[name]
            g = [gi + l2 * wi for gi, wi in zip(grad, value)] if l2 else grad
            if p["optimizer"] == "sgd":
                new = [w - lr * gi for w, gi in zip(value, g)]
            else:
                b1, b2, eps = 0.9, 0.999, 1e-7
                m, v = self.moments.get(name) or ([0.0] * len(g), [0.0] * len(g))
                m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
                v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
                self.moments[name] = (m, v)
                lr_t = lr * math.sqrt(1 - b2 ** self.steps) / (1 - b1 ** self.steps)
                new = [w - lr_t * mi / (math.sqrt(vi) + eps) for w, mi, vi in zip(value, m, v)]
            if not all(map(math.isfinite, new)) or any(abs(w) > 3.4e38 for w in new):
                raise RPCError(NUMERICAL_ERROR, "the update of %s produced NaN or infinity" % name)
            value[:] = f32(new)
        self.zero_gradients()


# ---------------------------------------------------------------- the session (sections 5 and 6)

class Session:
    def __init__(self):
        self.initialized = False
        self.binary = False
        self.model = None

    def configured(self):
        if self.model is None:
            raise RPCError(WRONG_STATE, "not configured yet")
        return self.model

    def handle(self, method, params, attachment, out):
        if method != "initialize" and not self.initialized:
            raise RPCError(WRONG_STATE, "'%s' before initialize" % method[:64])
        handler = getattr(self, "do_" + method, None) if method.replace("_", "").isalpha() else None
        if handler is None:
            raise RPCError(METHOD_NOT_FOUND, "no method '%s'" % method[:64])
        return handler(params, attachment, out)

    def do_initialize(self, p, attachment, out):
        if self.initialized:
            raise RPCError(WRONG_STATE, "initialize sent twice")
        version, role, transports = p.get("protocol_version"), p.get("role"), p.get("transports")
        if not is_int(version):
            raise RPCError(INVALID_PARAMS, "params.protocol_version should be an integer")
        if role not in ("encoder", "decoder"):
            raise RPCError(INVALID_PARAMS, 'params.role should be "encoder" or "decoder"')
        if not isinstance(transports, list) or not all(isinstance(t, str) for t in transports):
            raise RPCError(INVALID_PARAMS, "params.transports should be an array of strings")
        if not PROTOCOL["min"] <= version <= PROTOCOL["max"]:
            raise RPCError(INVALID_PARAMS, "protocol version %d not supported (this plugin speaks 1)" % version)
        if role != ROLE:
            raise RPCError(INVALID_PARAMS, "this plugin is a %s, not a %s" % (ROLE, role))
        known = [t for t in transports if t in TRANSPORTS]
        if not known:
            raise RPCError(INVALID_PARAMS, "no known tensor transport offered (this plugin knows binary and base64)")
        self.initialized = True
        self.pending_transport = known[0]  # applies from the next frame on
        return {"name": NAME, "version": VERSION, "role": ROLE, "protocol": PROTOCOL, "transport": known[0],
                "parameters": PARAMETERS, "debug_variables": DEBUG_VARIABLES}

    def do_configure(self, p, attachment, out):
        input_shape, output_shape, seed = p.get("input_shape"), p.get("output_shape"), p.get("seed")
        check_shape("input_shape", input_shape)
        check_shape("output_shape", output_shape)
        if not is_int(seed) or not 0 <= seed <= 2 ** 53:
            raise RPCError(INVALID_PARAMS, "params.seed should be an integer in 0...2^53")
        values = resolve_parameters(p.get("parameters", {}))
        self.model = LinearModel(input_shape, output_shape, seed, values)
        return {"parameter_count": self.model.parameter_count, "parameters": values}

    def do_forward(self, p, attachment, out):
        model = self.configured()
        shape, values = decode_tensor(p.get("input"), "params.input", attachment, self.binary)
        training = p.get("training")
        if not isinstance(training, bool):
            raise RPCError(INVALID_PARAMS, "params.training should be true or false")
        if shape[1:] != model.input_shape or shape[0] < 1:
            raise RPCError(INVALID_PARAMS, "params.input: shape %s is not [batch] + %s" % (shape, model.input_shape))
        batch, n = shape[0], model.n_in
        rows = [values[b * n:(b + 1) * n] for b in range(batch)]
        result = model.forward(rows)
        output = out.tensor([batch] + model.output_shape, [v for row in result for v in row])
        if training:  # an inference forward changes nothing
            model.remembered = rows
        return {"output": output}

    def do_backward(self, p, attachment, out):
        model = self.configured()
        if model.remembered is None:
            raise RPCError(WRONG_STATE, "backward needs a training forward first")
        shape, values = decode_tensor(p.get("grad_output"), "params.grad_output", attachment, self.binary)
        need = p.get("need_input_grad")
        if not isinstance(need, bool):
            raise RPCError(INVALID_PARAMS, "params.need_input_grad should be true or false")
        expected = [len(model.remembered)] + model.output_shape
        if shape != expected:
            raise RPCError(INVALID_PARAMS, "params.grad_output: shape %s is not %s" % (shape, expected))
        n = model.n_out
        grads = [values[b * n:(b + 1) * n] for b in range(shape[0])]
        grad_input = model.backward(grads, need)
        if grad_input is None:
            return {}
        return {"grad_input": out.tensor([shape[0]] + model.input_shape, [v for row in grad_input for v in row])}

    def do_step(self, p, attachment, out):
        model = self.configured()
        model.step()
        every = model.parameters["log_every"]
        if every and model.steps % every == 0:
            write_frame({"jsonrpc": "2.0", "method": "log",
                         "params": {"level": "info", "message": "py-linear %s: %d steps" % (ROLE, model.steps)}})
        return {"steps": model.steps}

    def do_export_state(self, p, attachment, out):
        model = self.configured()
        return {"tensors": {name: out.tensor(shape, value) for name, (shape, value) in model.tensors().items()}}

    def do_import_state(self, p, attachment, out):
        model = self.configured()
        given = p.get("tensors")
        if not isinstance(given, dict):
            raise RPCError(INVALID_PARAMS, "params.tensors should be an object")
        if len(given) > 4096:
            raise RPCError(INVALID_PARAMS, "too many tensors (%d)" % len(given))
        for name in given:
            if not 1 <= len(name.encode("utf-8")) <= 128 or name.startswith("__"):
                raise RPCError(INVALID_PARAMS, "tensor name '%s' must be 1...128 bytes and not start with __" % name[:64])
        decoded = {name: decode_tensor(t, "params.tensors." + name, attachment, self.binary) for name, t in given.items()}
        expected = model.tensors()
        missing, extra = sorted(set(expected) - set(decoded)), sorted(set(decoded) - set(expected))
        if missing or extra:
            raise RPCError(STATE_MISMATCH, "state does not fit this model (missing: %s; unexpected: %s)"
                           % (", ".join(missing) or "none", ", ".join(extra[:5]) or "none"))
        for name, (shape, _) in expected.items():
            if decoded[name][0] != shape:
                raise RPCError(STATE_MISMATCH, "tensor '%s' has shape %s, the model needs %s" % (name, decoded[name][0], shape))
        # Only after every tensor fitted: a refused import leaves the model as it was.
        for name, (_, value) in expected.items():
            value[:] = f32(decoded[name][1])
        model.zero_gradients()
        model.remembered = None
        return {}

    def do_debug_info(self, p, attachment, out):
        m = self.model
        return {"variables": {
            "input_shape": m.input_shape if m else None,
            "output_shape": m.output_shape if m else None,
            "parameter_count": m.parameter_count if m else None,
            "steps": m.steps if m else 0,
            "optimizer": m.parameters["optimizer"] if m else PARAMETERS["optimizer"]["default"],
            "learning_rate": m.parameters["learning_rate"] if m else PARAMETERS["learning_rate"]["default"],
        }}

    def do_shutdown(self, p, attachment, out):
        return {}


def reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def error_response(id_, code, message):
    return {"jsonrpc": "2.0", "id": id_, "error": {"code": code, "message": message[:500]}}


def serve():
    session = Session()
    while True:
        try:
            frame = read_frame()
        except FrameError as e:
            write_frame(error_response(None, PARSE_ERROR, "unreadable frame: %s" % e))
            sys.exit(2)
        if frame is None:
            sys.exit(0)  # end of input: the coordinator is gone or done
        body, attachment = frame
        reply, attach, method = None, b"", None
        try:
            if attachment and not session.binary:
                raise RPCError(INVALID_REQUEST, "attachment sent under the base64 transport")
            try:
                msg = json.loads(body.decode("utf-8"), parse_constant=reject_constant)
            except ValueError:  # also UnicodeDecodeError
                raise RPCError(PARSE_ERROR, "not valid JSON")
            if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
                raise RPCError(INVALID_REQUEST, 'not a JSON-RPC 2.0 message (an object with "jsonrpc": "2.0")')
            id_ = msg.get("id")
            if id_ is not None and not (is_int(id_) or (isinstance(id_, str) and len(id_.encode("utf-8")) <= 128)):
                raise RPCError(INVALID_REQUEST, "id must be an integer or a string of at most 128 bytes")
            method = msg.get("method")
            if method is None:
                reply = error_response(id_, INVALID_REQUEST, "plugins accept requests only")
            elif not isinstance(method, str) or not 1 <= len(method.encode("utf-8")) <= 64 or "result" in msg or "error" in msg:
                raise RPCError(INVALID_REQUEST, "method must be a short non-empty string, and a request has no result or error")
            elif id_ is None:
                continue  # a notification: none is defined for plugins, and none is answered
            else:
                try:
                    params = msg.get("params")
                    if not isinstance(params, dict):
                        raise RPCError(INVALID_PARAMS, "params should be an object")
                    out = Encoder(session.binary)
                    result = session.handle(method, params, attachment, out)
                    reply, attach = {"jsonrpc": "2.0", "id": id_, "result": result}, out.attachment
                except RPCError as e:
                    reply = error_response(id_, e.code, e.message)
                except Exception as e:  # a bug here must not end the plugin
                    reply = error_response(id_, INTERNAL_ERROR, "%s: %s" % (type(e).__name__, e))
        except RPCError as e:  # the request's id could not be read
            reply = error_response(None, e.code, e.message)
        try:
            write_frame(reply, attach)
        except OSError:
            sys.exit(3)  # the coordinator went away
        if reply.get("error") is None and method == "initialize":
            session.binary = session.pending_transport == "binary"
        if reply.get("error") is None and method == "shutdown":
            sys.exit(0)


if __name__ == "__main__":
    serve()
