package dev.twinmesh.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The archive PyTorch loads: source compiled, every attribute's initial value read back as written. */
class TorchScriptArchiveTest {

  private static final String SOURCE = String.join("\n",
      "class Probe(Module):",
      "  __parameters__ = []",
      "  __buffers__ = []",
      "  training : bool",
      "  flag : bool",
      "  count : int",
      "  ratio : float",
      "  tensors : List[Tensor]",
      "  def describe(self: __torch__.Probe) -> List[float]:",
      "    return [float(self.flag), float(self.count), self.ratio, float(len(self.tensors))]",
      "  def keep(self: __torch__.Probe, tensors: List[Tensor]) -> None:",
      "    self.tensors = tensors",
      "  def forward(self: __torch__.Probe, x: Tensor) -> Tensor:",
      "    return torch.matmul(x, self.tensors[0]) * self.ratio + self.count",
      "");

  @Test
  void pytorchLoadsTheSourceAndTheAttributesAsWritten() throws Exception {
    Map<String, Object> attributes = new LinkedHashMap<>();
    attributes.put("training", false);
    attributes.put("flag", true);
    attributes.put("count", -300_000L); // needs more than one byte, and a sign
    attributes.put("ratio", 0.25);
    attributes.put("tensors", TorchScriptArchive.EMPTY_LIST);
    byte[] archive = TorchScriptArchive.write("Probe", SOURCE, attributes);
    try (PtNDManager manager = (PtNDManager) NDManager.newBaseManager("PyTorch");
         PtSymbolBlock module = JniUtils.loadModule(manager, new ByteArrayInputStream(archive), true, false)) {
      try (IValue described = IValueUtils.runMethod(module, "describe")) {
        assertArrayEquals(new double[] {1, -300_000, 0.25, 0}, described.toDoubleArray());
      }
      PtNDArray weights = (PtNDArray) manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
      IValueUtils.runMethod(module, "keep", IValue.listFrom(weights)).close();
      PtNDArray x = (PtNDArray) manager.create(new float[] {1, 1}, new Shape(1, 2));
      try (IValue out = IValueUtils.runMethod(module, "forward", IValue.from(x))) {
        // [1, 1] x [[1, 2], [3, 4]] = [4, 6]; * 0.25 - 300000
        assertArrayEquals(new float[] {1 - 300_000f, 1.5f - 300_000f}, out.toTensor(manager).toFloatArray());
      }
    }
  }

  @Test
  void sourceThatDoesNotCompileFailsAtLoadNamingTheLine() {
    byte[] archive = TorchScriptArchive.write("Probe", SOURCE.replace("self.ratio + self.count", "self.missing"),
        Map.of("training", false, "flag", false, "count", 0L, "ratio", 0.0, "tensors", TorchScriptArchive.EMPTY_LIST));
    try (PtNDManager manager = (PtNDManager) NDManager.newBaseManager("PyTorch")) {
      EngineException e = assertThrows(EngineException.class,
          () -> JniUtils.loadModule(manager, new ByteArrayInputStream(archive), true, false));
      assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }
  }

  @Test
  void onlyTheValuesAModuleStartsWithCanBePickled() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TorchScriptArchive.pickleObject("__torch__", "Probe", Map.of("name", "text")));
    assertEquals("attribute name: cannot pickle text", e.getMessage());
  }
}
