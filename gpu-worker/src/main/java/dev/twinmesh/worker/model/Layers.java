package dev.twinmesh.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;

/** The stateless building blocks of a Llama layer, shared by every attention variant. */
public final class Layers {

  private Layers() {}

  /** x·Wᵀ (+ b) with Hugging Face's [out, in] weight layout. */
  public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return (bias == null ? Linear.linear(x, weight) : Linear.linear(x, weight, bias)).singletonOrThrow();
  }

  /** RMSNorm over the last axis; the mean square is taken in fp32 even when x is fp16. */
  public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
    int last = x.getShape().dimension() - 1;
    NDArray x32 = x.toType(DataType.FLOAT32, false);
    NDArray rms = x32.square().mean(new int[] {last}, true).add(eps).sqrt();
    return x32.div(rms).toType(x.getDataType(), false).mul(weight);
  }

  /** down(silu(gate(x)) * up(x)). */
  public static NDArray swiGlu(NDArray x, NDArray gateProj, NDArray upProj, NDArray downProj) {
    NDArray gate = linear(x, gateProj, null);
    NDArray up = linear(x, upProj, null);
    return linear(gate.mul(Activation.sigmoid(gate)).mul(up), downProj, null);
  }
}
