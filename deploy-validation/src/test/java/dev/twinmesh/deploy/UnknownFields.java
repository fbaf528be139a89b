package dev.twinmesh.deploy;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Finds fields fabric8 did not know: its models keep them in {@code getAdditionalProperties()} instead of
 * failing. A typo such as {@code readinesProbe} or a field at the wrong level lands there.
 */
final class UnknownFields {
  private UnknownFields() {}

  static List<String> in(Object model) {
    List<String> found = new ArrayList<>();
    walk(model, "", found);
    return found;
  }

  private static void walk(Object value, String path, List<String> found) {
    if (value == null) {
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> walk(v, path + "." + k, found));
      return;
    }
    if (value instanceof Collection<?> list) {
      int i = 0;
      for (Object item : list) {
        walk(item, path + "[" + i++ + "]", found);
      }
      return;
    }
    if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method m : value.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) {
        continue;
      }
      String name = m.getName();
      try {
        if (name.equals("getAdditionalProperties")) {
          Map<?, ?> extra = (Map<?, ?>) m.invoke(value);
          if (extra != null && !extra.isEmpty()) {
            found.add((path.isEmpty() ? "." : path) + " " + extra.keySet());
          }
        } else if (name.startsWith("get") && name.length() > 3 && !name.equals("getClass")) {
          walk(m.invoke(value), path + "." + Character.toLowerCase(name.charAt(3)) + name.substring(4), found);
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read " + name + " of " + value.getClass(), e);
      }
    }
  }
}
