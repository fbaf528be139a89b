package dev.twinmesh.worker.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import java.util.Map;

/**
 * One product x·Wᵀ through oneDNN's packed fp32 layout, the way {@link ScriptedDecoder} runs the
 * model's projections on CPU ({@code pack_weights} in {@code twin_llama.torchscript}), so that the
 * engine benchmark can measure the machine with the kernels the engine uses. W keeps Hugging Face's
 * [out, in] layout; the packed copy is made once, here, and held by this object.
 */
public final class PackedProduct implements AutoCloseable {

  /** The batch size oneDNN chooses the packed layout for; the layout serves every batch size. */
  static final long BATCH_HINT = 16;

  private static final String CLASS = "TwinPackedProduct";
  private static final String SOURCE = String.join("\n",
      "class TwinPackedProduct(Module):",
      "  __parameters__ = []",
      "  __buffers__ = []",
      "  training : bool",
      "  weight : List[Tensor]",
      "  def pack(self: __torch__.TwinPackedProduct, w: Tensor, batch_hint: int) -> None:",
      "    self.weight = [ops.mkldnn._reorder_linear_weight(w, batch_hint)]",
      "  def forward(self: __torch__.TwinPackedProduct, x: Tensor) -> Tensor:",
      "    return ops.mkldnn._linear_pointwise(x, self.weight[0], None, \"none\","
          + " annotate(List[Optional[number]], []), \"\")",
      "");

  private final ScriptModule module;

  private PackedProduct(ScriptModule module) {
    this.module = module;
  }

  /**
   * Whether the decoder packs its weights for this device and dtype: fp32 on CPU. oneDNN's packed
   * layout exists for fp32 (and bf16, which DJL cannot run on CPU); on CUDA the products are cuBLAS's.
   */
  public static boolean packs(Device device, DataType type) {
    return !device.isGpu() && type == DataType.FLOAT32;
  }

  /** Packs {@code weight} [out, in] (fp32, CPU); the copy lives until {@link #close()}. */
  public static PackedProduct of(NDArray weight) {
    if (!packs(weight.getDevice(), weight.getDataType())) {
      throw new IllegalArgumentException("packed products are fp32 on CPU, not " + weight.getDataType()
          + " on " + weight.getDevice());
    }
    ScriptModule module = ScriptModule.compile(weight.getManager(), CLASS, SOURCE,
        Map.of("training", false, "weight", TorchScriptArchive.EMPTY_LIST));
    try {
      module.call("pack", IValue.from((PtNDArray) weight), IValue.from(BATCH_HINT));
      return new PackedProduct(module);
    } catch (RuntimeException e) {
      module.close();
      throw e;
    }
  }

  /** x [rows, in] times the packed Wᵀ: [rows, out], on x's manager; the caller closes it. */
  public NDArray apply(NDArray x) {
    try (IValue result = module.run("forward", IValue.from((PtNDArray) x))) {
      return result.toTensor((PtNDManager) x.getManager());
    }
  }

  @Override
  public void close() {
    module.close();
  }
}
