package dev.twinmesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The gateway's in-flight bounds: for everyone together, and for each API key on its own. */
class AdmissionTest {

  @Test
  void theGatewayBoundHoldsAcrossKeysAndAReleaseMakesRoom() {
    Admission admission = new Admission(2, 10);
    assertTrue(admission.tryAcquire("a"));
    assertTrue(admission.tryAcquire("b"));
    assertFalse(admission.tryAcquire("c"), "two in flight is the limit, whoever asks");
    assertFalse(admission.tryAcquire(null));
    assertEquals(2, admission.inFlight());
    admission.release("a");
    assertEquals(1, admission.inFlight());
    assertTrue(admission.tryAcquire("c"));
  }

  @Test
  void oneKeyCannotTakeMoreThanItsShare() {
    Admission admission = new Admission(10, 2);
    assertTrue(admission.tryAcquire("a"));
    assertTrue(admission.tryAcquire("a"));
    assertFalse(admission.tryAcquire("a"), "a has its two");
    assertTrue(admission.tryAcquire("b"), "b is not held back by a");
    assertTrue(admission.tryAcquire(null), "unauthenticated requests share one bucket of their own");
    assertTrue(admission.tryAcquire(null));
    assertFalse(admission.tryAcquire(null));
    admission.release("a");
    assertTrue(admission.tryAcquire("a"), "a released one, so it may take one");
    assertFalse(admission.tryAcquire("a"));
  }

  @Test
  void aRefusalTakesNothing() {
    Admission admission = new Admission(1, 1);
    assertTrue(admission.tryAcquire("a"));
    for (int i = 0; i < 5; i++) {
      assertFalse(admission.tryAcquire("a"));
      assertFalse(admission.tryAcquire("b"));
    }
    assertEquals(1, admission.inFlight());
    admission.release("a");
    assertEquals(0, admission.inFlight());
    assertTrue(admission.tryAcquire("b"), "nothing leaked from the refused attempts");
  }

  @Test
  void everySlotComesBackAfterManyRequests() {
    Admission admission = new Admission(3, 2);
    for (int round = 0; round < 100; round++) {
      assertTrue(admission.tryAcquire("k" + round % 2));
      assertTrue(admission.tryAcquire("k" + (round + 1) % 2));
      admission.release("k" + round % 2);
      admission.release("k" + (round + 1) % 2);
    }
    assertEquals(0, admission.inFlight());
    assertTrue(admission.tryAcquire("k0") && admission.tryAcquire("k0") && admission.tryAcquire("k1"));
    assertFalse(admission.tryAcquire("k1"), "the gateway bound of 3 is whole again, and full");
  }
}
