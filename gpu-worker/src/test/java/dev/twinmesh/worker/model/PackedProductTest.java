package dev.twinmesh.worker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** oneDNN's packed product against PyTorch's plain one, for the batch sizes a decoder step sees. */
class PackedProductTest {

  private static DjlRuntime runtime;

  @BeforeAll
  static void start() {
    runtime = DjlRuntime.start(new DjlRuntime.Options("cpu", 1));
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  @Test
  void theProductOfAPackedWeightEqualsThePlainOneForEveryBatchSize() {
    try (NDManager manager = runtime.manager().newSubManager()) {
      NDArray weight = manager.randomNormal(0, 0.05f, new Shape(96, 40), DataType.FLOAT32, Device.cpu()); // [out, in]
      try (PackedProduct packed = PackedProduct.of(weight)) {
        for (int rows : new int[] {1, 2, 3, 16, 17, 70}) { // below, at and above the packing hint of 16
          NDArray x = manager.randomNormal(0, 1, new Shape(rows, 40), DataType.FLOAT32, Device.cpu());
          NDArray expected = x.matMul(weight.transpose());
          try (NDArray actual = packed.apply(x)) {
            assertEquals(new Shape(rows, 96), actual.getShape());
            float scale = expected.abs().max().getFloat();
            float error = actual.sub(expected).abs().max().getFloat();
            assertTrue(error <= 1e-5f * scale, rows + " rows: max error " + error + " against max " + scale);
          }
        }
      }
    }
  }

  @Test
  void onlyFp32OnTheCpuIsPacked() {
    assertTrue(PackedProduct.packs(Device.cpu(), DataType.FLOAT32));
    assertFalse(PackedProduct.packs(Device.cpu(), DataType.FLOAT16));
    assertFalse(PackedProduct.packs(Device.gpu(), DataType.FLOAT32));
    try (NDManager manager = runtime.manager().newSubManager()) {
      NDArray half = manager.ones(new Shape(4, 4), DataType.FLOAT16);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PackedProduct.of(half));
      assertTrue(e.getMessage().contains("fp32 on CPU"), e.getMessage());
    }
  }
}
