package dev.twinmesh.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;

/** The stateless building blocks of a Llama layer, shared by every attention variant. */
public final class Layers {

  private Layers() {}

  /** x·Wᵀ (+ b) with W stored [out, in], as {@link LlamaWeights} keeps every projection. */
  public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    NDArray product;
    try (NDArray transposed = weight.transpose()) { // a view on the weight's manager: closed here, not leaked
      product = x.matMul(transposed);
    }
    return bias == null ? product : product.add(bias);
  }

  /** RMSNorm over the last axis; the mean square is taken in fp32 even when x is fp16. */
  public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
    try (NDArray epsilon = x.getManager().create(eps)) {
      return rmsNorm(x, weight, epsilon);
    }
  }

  /** As above with eps a scalar array made once: a Java number would cost a new array on every call. */
  public static NDArray rmsNorm(NDArray x, NDArray weight, NDArray eps) {
    int last = x.getShape().dimension() - 1;
    boolean fp32 = x.getDataType() == DataType.FLOAT32;
    NDArray x32 = fp32 ? x : x.toType(DataType.FLOAT32, false);
    NDArray rms = x32.square().mean(new int[] {last}, true).add(eps).sqrt();
    NDArray normalized = x32.div(rms);
    return (fp32 ? normalized : normalized.toType(x.getDataType(), false)).mul(weight);
  }

  /** down(silu(gate(x)) * up(x)), gate and up from one product with gate_proj stacked over up_proj. */
  public static NDArray swiGlu(NDArray x, NDArray gateUpProj, NDArray downProj) {
    NDList gateUp = linear(x, gateUpProj, null).split(2, x.getShape().dimension() - 1); // 2 x [..., intermediate]
    NDArray gate = gateUp.get(0);
    return linear(gate.mul(Activation.sigmoid(gate)).mul(gateUp.get(1)), downProj, null);
  }
}
