/* ONNX import errors on models built here with the generated protobuf-c
 * messages: each must name the node (index, name, op_type) or the
 * initializer / graph input at fault, and never crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "onnx_subset.pb-c.h"

typedef MoteOnnx__AttributeProto attr;

/* One graph: input x float [1, 4] (dim 0 named when dyn), initializer w [4, 3]
 * (data type dtype, nbytes of raw data), one node, output y. */
typedef struct {
    const char *op, *domain, *in0, *in1;
    attr *attrs[2];
    int n_attrs;
    int dtype, nbytes, dyn;
    const char *out_name;
} spec;

static char *import_error(const spec *s)
{
    static char err[512];
    MoteOnnx__TensorShapeProto__Dimension d0 = MOTE_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT, d1 = d0;
    if (s->dyn) d0.dim_param = "N";
    else d0.has_dim_value = 1, d0.dim_value = 1;
    d1.has_dim_value = 1, d1.dim_value = 4;
    MoteOnnx__TensorShapeProto__Dimension *dims[2] = {&d0, &d1};
    MoteOnnx__TensorShapeProto shape = MOTE_ONNX__TENSOR_SHAPE_PROTO__INIT;
    shape.n_dim = 2, shape.dim = dims;
    MoteOnnx__TypeProto__Tensor tt = MOTE_ONNX__TYPE_PROTO__TENSOR__INIT;
    tt.has_elem_type = 1, tt.elem_type = 1, tt.shape = &shape;
    MoteOnnx__TypeProto type = MOTE_ONNX__TYPE_PROTO__INIT;
    type.tensor_type = &tt;
    MoteOnnx__ValueInfoProto in = MOTE_ONNX__VALUE_INFO_PROTO__INIT, out = in;
    in.name = "x", in.type = &type;
    out.name = (char *)(s->out_name ? s->out_name : "y");
    MoteOnnx__ValueInfoProto *ins[1] = {&in}, *outs[1] = {&out};

    static uint8_t raw[64];
    int64_t wdims[2] = {4, 3};
    MoteOnnx__TensorProto w = MOTE_ONNX__TENSOR_PROTO__INIT;
    w.name = "w", w.n_dims = 2, w.dims = wdims, w.has_data_type = 1, w.data_type = s->dtype ? s->dtype : 1;
    w.has_raw_data = 1, w.raw_data.len = (size_t)(s->nbytes ? s->nbytes : 48), w.raw_data.data = raw;
    MoteOnnx__TensorProto *inits[1] = {&w};

    char *node_in[2] = {(char *)(s->in0 ? s->in0 : "x"), (char *)(s->in1 ? s->in1 : "w")}, *node_out[1] = {"y"};
    MoteOnnx__NodeProto n = MOTE_ONNX__NODE_PROTO__INIT;
    n.name = "n0", n.op_type = (char *)s->op, n.domain = (char *)s->domain;
    n.n_input = 2, n.input = node_in, n.n_output = 1, n.output = node_out;
    n.n_attribute = (size_t)s->n_attrs, n.attribute = (attr **)s->attrs;
    MoteOnnx__NodeProto *nodes[1] = {&n};

    MoteOnnx__GraphProto g = MOTE_ONNX__GRAPH_PROTO__INIT;
    g.n_node = 1, g.node = nodes, g.n_initializer = 1, g.initializer = inits;
    g.n_input = 1, g.input = ins, g.n_output = 1, g.output = outs;
    MoteOnnx__OperatorSetIdProto opset = MOTE_ONNX__OPERATOR_SET_ID_PROTO__INIT;
    opset.has_version = 1, opset.version = 13;
    MoteOnnx__OperatorSetIdProto *opsets[1] = {&opset};
    MoteOnnx__ModelProto m = MOTE_ONNX__MODEL_PROTO__INIT;
    m.has_ir_version = 1, m.ir_version = 8, m.graph = &g, m.n_opset_import = 1, m.opset_import = opsets;

    size_t len = mote_onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(len);
    mote_onnx__model_proto__pack(&m, buf);
    assert_int_equal(mote_detect_format(buf, len), MOTE_FORMAT_ONNX);
    mote_ir_graph *ir = mote_import_bytes(buf, len, "m.onnx", err, sizeof err);
    free(buf);
    if (ir) {
        mote_ir_free(ir);
        return NULL;
    }
    return err;
}

static void expect(const spec *s, const char *want)
{
    const char *err = import_error(s);
    if (!err) fail_msg("imported; wanted '%s'", want);
    if (!strstr(err, want)) fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_good_model_imports(void **state)
{
    (void)state;
    assert_null(import_error(&(spec){.op = "MatMul"}));
}

static void test_errors(void **state)
{
    (void)state;
    expect(&(spec){.op = "GRU"}, "m.onnx: node 0 (n0, GRU): recurrent operator not supported yet");
    attr dir = MOTE_ONNX__ATTRIBUTE_PROTO__INIT;
    dir.name = "direction", dir.has_type = 1, dir.type = 3, dir.has_s = 1;
    dir.s.data = (uint8_t *)"bidirectional", dir.s.len = 13;
    expect(&(spec){.op = "LSTM", .attrs = {&dir}, .n_attrs = 1},
           "m.onnx: node 0 (n0, LSTM): direction 'bidirectional' not supported yet (forward only)");
    expect(&(spec){.op = "Erf"}, "m.onnx: node 0 (n0, Erf): operator not supported");
    expect(&(spec){.op = "MatMul", .domain = "com.example"}, "node 0 (n0, MatMul): operator domain 'com.example' not supported");
    expect(&(spec){.op = "MatMul", .in1 = "nope"}, "node 0 (n0, MatMul): input 1 'nope' is not defined");
    expect(&(spec){.op = "MatMul", .in1 = "x"}, "node 0 (n0, MatMul): only a product with a constant 2-D float32 B");
    expect(&(spec){.op = "MatMul", .dtype = 3}, "initializer 'w': data type 3 not supported (float32 tensors and int64 shapes only)");
    expect(&(spec){.op = "MatMul", .nbytes = 47}, "initializer 'w': holds 47 bytes, shape needs 48");
    expect(&(spec){.op = "MatMul", .dyn = 1}, "graph input 'x': dimension 0 is N (dynamic shapes are not supported");
    expect(&(spec){.op = "MatMul", .out_name = "z"}, "graph output 'z' is not computed by any node");

    attr tb = MOTE_ONNX__ATTRIBUTE_PROTO__INIT;
    tb.name = "transB", tb.has_type = 1, tb.type = 1, tb.has_f = 1, tb.f = 1.0f;
    expect(&(spec){.op = "Gemm", .attrs = {&tb}, .n_attrs = 1}, "node 0 (n0, Gemm): attribute 'transB' must be an int");
    attr ta = MOTE_ONNX__ATTRIBUTE_PROTO__INIT;
    ta.name = "transA", ta.has_type = 1, ta.type = 2, ta.has_i = 1, ta.i = 1;
    expect(&(spec){.op = "Gemm", .attrs = {&ta}, .n_attrs = 1}, "node 0 (n0, Gemm): transA=1 is not supported");
    /* Conv of a 2-D input; then of a 4-D weight with a zero stride is refused before shapes matter */
    expect(&(spec){.op = "Conv"}, "node 0 (n0, Conv): only 2-D convolution");
    attr ax = MOTE_ONNX__ATTRIBUTE_PROTO__INIT;
    ax.name = "axis", ax.has_type = 1, ax.type = 2, ax.has_i = 1, ax.i = 5;
    expect(&(spec){.op = "Softmax", .in1 = "", .attrs = {&ax}, .n_attrs = 1}, "node 0 (n0, Softmax): axis 5 out of range for rank 2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_model_imports),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
