# leakgate.gdb: the lg-* commands. `leakgate gdb` loads it with the reader plugin and
# sets $lg_session (the request/answer file prefix) and $lg_plugin (the plugin's path).
# A command writes its request to $lg_session.req, reloads the reader (GDB then hands it
# the registered blob again, and the reader answers into $lg_session.gdb as `echo`
# lines) and sources the answer, so the output goes through GDB's own output.

# Set by `leakgate gdb` from the symbols when it opens a core or a process, for Python
# 3.13+ processes without a leakgate blob: &_PyRuntime and _PySet_Dummy.
set $lg_runtime = 0
set $lg_dummy = 0

# lg--request VERB ADDRESS DEPTH: writes the request and prints the plugin's answer.
define lg--request
  eval "shell echo $arg0 %lu %d %lu %lu > %s.req", (unsigned long)($arg1), (int)($arg2), $lg_runtime, $lg_dummy, $lg_session
  lg--answer
end
document lg--request
Internal to the lg-* commands: lg--request VERB ADDRESS DEPTH.
end

define lg--answer
  eval "shell printf 'echo leakgate: no answer: is a leakgate worker or its core loaded?\\\\n\\n' > %s.gdb", $lg_session
  jit-reader-unload
  eval "jit-reader-load %s", $lg_plugin
  frame apply 1 -q -s echo
  eval "source %s.gdb", $lg_session
end
document lg--answer
Internal to the lg-* commands: reloads the reader (which reads the blob again), makes GDB
unwind the innermost frame again (which calls the reader when there is no blob; errors
ignored, so a stack GDB cannot unwind does not abort the command), and prints the
reader's answer.
end

define lg-report
  lg--request report 0 0
end
document lg-report
Print the leakgate report registered at the failing point: the verdict and counter
trends of the leaking target, and the suspect objects with their addresses.
Usage: lg-report
end

define lg-graph
  if $argc == 0
    echo usage: lg-graph EXPR [DEPTH]\n
  else
    if $argc == 1
      lg--request graph $arg0 2
    else
      lg--request graph $arg0 $arg1
    end
  end
end
document lg-graph
Print the object graph from a PyObject *: each object's address, type, reference
count and value (str, int, float, bytes, bool, None, containers, instances through
their __dict__, modules, functions, code), DEPTH references deep (default 2, at most
16). An object reached twice prints "(seen above)" the second time.
Usage: lg-graph EXPR [DEPTH]     e.g. lg-graph 0x7f3b2c1d4e80 3
EXPR is any GDB expression without spaces (GDB splits a command's arguments at
spaces): lg-graph $rdi, lg-graph *(long*)($sp+8).
end

define lg-bt
  lg--request bt 0 0
end
document lg-bt
Print the Python backtrace of each thread of the interpreter: function, file and
line of every frame, innermost first, read from the thread states.
Usage: lg-bt
end

define lg-types
  lg--request types 0 0
end
document lg-types
Print a census of the objects the cyclic GC tracks, by type: count and bytes (basic
size plus items), largest counts first.
Usage: lg-types
end

define lg-referrers
  if $argc != 1
    echo usage: lg-referrers EXPR\n
  else
    lg--request referrers $arg0 0
  end
end
document lg-referrers
Print who holds a PyObject *: the chain of containers (list index, dict key,
attribute) from the object up to the nearest module, found by scanning the objects
on the GC lists.
Usage: lg-referrers EXPR         (EXPR without spaces)
end
