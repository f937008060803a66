# leakgate.gdb: the lg-* commands. `leakgate gdb` loads it with the reader plugin, sets
# $lg_session (the request/answer file prefix) and writes $lg_session.ask, the steps
# every command takes to have its request answered: reload the reader (GDB then hands it
# the registered blob again, or, with none, calls its unwinder when it unwinds the
# innermost frame), which answers into $lg_session.gdb as `echo` lines, and source the
# answer, so that the output goes through GDB's own output. Keeping those steps in a
# file rather than a command keeps GDB's help free of internal commands.

# Set by `leakgate gdb` from the symbols when it opens a core or a process, for Python
# 3.13+ processes without a leakgate blob: &_PyRuntime and _PySet_Dummy.
set $lg_runtime = 0
set $lg_dummy = 0
# The Python frame lg-list, lg-locals and lg-print read (lg-up, lg-down move it), and lg-graph's default depth.
set $lg_frame = 0
set $lg_depth = 2

define lg
  help lg
end
document lg
leakgate's commands, which read CPython's objects from memory without GDB's Python.
They work on a core and on a live process, in the full gdb as in gdb-minimal:
  lg-report            the leak report registered at the failing point
  lg-bt                the Python backtrace of each thread
  lg-list [CONTEXT]    the source lines around the selected Python frame
  lg-up, lg-down       select the Python frame lg-list shows
  lg-locals            the selected Python frame's local variables
  lg-print NAME        the object graph of one local of the selected frame
  lg-graph EXPR [DEPTH]  the object graph from a PyObject *
  lg-referrers EXPR    who holds a PyObject *, up to a module
  lg-types             a census of the GC-tracked objects by type
EXPR is any GDB expression; spaces are allowed (see help lg-graph).
Type "help lg-bt" (and so on) for each one.
end

define lg-report
  eval "shell echo report %lu %d %lu %lu > %s.req", (unsigned long)(0), (int)(0), $lg_runtime, $lg_dummy, $lg_session
  eval "source %s.ask", $lg_session
end
document lg-report
Print the leak report that leakgate registered at the failing point.
It holds the verdict and counter trends of the leaking target, the suspect objects with
their addresses, and who holds them (leakgate's own records of them excluded).
Usage: lg-report
end

define lg-graph
  if $argc == 0
    echo usage: lg-graph EXPR [DEPTH]\n
  else
    set $lg_graph_depth = $lg_depth
    if $argc == 2
      set $lg_graph_addr = (unsigned long)($arg0)
      set $lg_graph_depth = $arg1
    else
      if $argc == 1
        set $lg_graph_addr = (unsigned long)($arg0)
      else
      if $argc == 2
        set $lg_graph_addr = (unsigned long)($arg0 $arg1)
      else
      if $argc == 3
        set $lg_graph_addr = (unsigned long)($arg0 $arg1 $arg2)
      else
      if $argc == 4
        set $lg_graph_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3)
      else
      if $argc == 5
        set $lg_graph_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4)
      else
      if $argc == 6
        set $lg_graph_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5)
      else
      if $argc == 7
        set $lg_graph_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6)
      else
      if $argc == 8
        set $lg_graph_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7)
      else
      if $argc == 9
        set $lg_graph_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7 $arg8)
      else
      if $argc == 10
        set $lg_graph_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7 $arg8 $arg9)
      end
      end
      end
      end
      end
      end
      end
      end
      end
      end
    end
    eval "shell echo graph %lu %d %lu %lu > %s.req", (unsigned long)($lg_graph_addr), (int)($lg_graph_depth), $lg_runtime, $lg_dummy, $lg_session
    eval "source %s.ask", $lg_session
  end
end
document lg-graph
Print the object graph from a PyObject *, DEPTH references deep (default 2).
Each object shows its address, type, reference count and value (str, int, float,
bytes, bool, None, containers, instances through their __dict__, modules, functions,
code); at most 16 levels. An object reached twice prints "(seen above)" the second time.
Usage: lg-graph EXPR [DEPTH]     e.g. lg-graph 0x7f3b2c1d4e80 3
With two words the second is DEPTH; with three or more, all of them are EXPR, and
DEPTH is $lg_depth (set $lg_depth = 3): lg-graph *(PyObject **)($sp + 8).
end

define lg-bt
  eval "shell echo bt %lu %d %lu %lu > %s.req", (unsigned long)(0), (int)(0), $lg_runtime, $lg_dummy, $lg_session
  eval "source %s.ask", $lg_session
end
document lg-bt
Print the Python backtrace of each thread of the interpreter.
Every frame shows its function, file and line, innermost first, read from the thread
states. lg-list shows the source of a frame.
Usage: lg-bt
end

define lg-list
  if $argc == 0
    eval "shell echo list %lu %d %lu %lu > %s.req", (unsigned long)($lg_frame), (int)(5), $lg_runtime, $lg_dummy, $lg_session
    eval "source %s.ask", $lg_session
  else
    eval "shell echo list %lu %d %lu %lu > %s.req", (unsigned long)($lg_frame), (int)($arg0), $lg_runtime, $lg_dummy, $lg_session
    eval "source %s.ask", $lg_session
  end
end
document lg-list
Print the source lines around the selected Python frame (lg-up and lg-down select it).
The frames are those of lg-bt, in the thread that reached leakgate's failing point
(else the first thread); the file is read from this machine, at the path the code
object names. CONTEXT lines either side, default 5.
Usage: lg-list [CONTEXT]
end

define lg-up
  set $lg_frame = $lg_frame + 1
  lg-list
end
document lg-up
Select the Python frame that called the selected one, and list its source.
Usage: lg-up
end

define lg-down
  if $lg_frame > 0
    set $lg_frame = $lg_frame - 1
  end
  lg-list
end
document lg-down
Select the Python frame the selected one called, and list its source.
Usage: lg-down
end

define lg-locals
  eval "shell echo locals %lu %d %lu %lu > %s.req", (unsigned long)($lg_frame), (int)(0), $lg_runtime, $lg_dummy, $lg_session
  eval "source %s.ask", $lg_session
end
document lg-locals
Print the local variables of the selected Python frame (lg-up and lg-down select it).
Each line is NAME = its value as repr() prints it, cut at 200 characters; a variable
not yet bound shows <unbound>, and a cell or free variable shows its cell object.
Usage: lg-locals
end

define lg-print
  if $argc != 1
    echo usage: lg-print NAME\n
  else
    eval "shell echo print %lu %d %lu %lu '$arg0' > %s.req", (unsigned long)($lg_frame), (int)($lg_depth), $lg_runtime, $lg_dummy, $lg_session
    eval "source %s.ask", $lg_session
  end
end
document lg-print
Print the object graph of one local variable of the selected Python frame.
NAME is the variable's name, as lg-locals lists it; the graph is the one lg-graph
prints, $lg_depth levels deep (default 2; set $lg_depth = 3).
Usage: lg-print NAME             e.g. lg-print cache
end

define lg-types
  eval "shell echo types %lu %d %lu %lu > %s.req", (unsigned long)(0), (int)(0), $lg_runtime, $lg_dummy, $lg_session
  eval "source %s.ask", $lg_session
end
document lg-types
Print a census of the objects the cyclic GC tracks, by type.
Each line has the count and the bytes (basic size plus items), largest counts first.
Usage: lg-types
end

define lg-referrers
  if $argc == 0
    echo usage: lg-referrers EXPR\n
  else
    if $argc == 1
      set $lg_ref_addr = (unsigned long)($arg0)
    else
    if $argc == 2
      set $lg_ref_addr = (unsigned long)($arg0 $arg1)
    else
    if $argc == 3
      set $lg_ref_addr = (unsigned long)($arg0 $arg1 $arg2)
    else
    if $argc == 4
      set $lg_ref_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3)
    else
    if $argc == 5
      set $lg_ref_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4)
    else
    if $argc == 6
      set $lg_ref_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5)
    else
    if $argc == 7
      set $lg_ref_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6)
    else
    if $argc == 8
      set $lg_ref_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7)
    else
    if $argc == 9
      set $lg_ref_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7 $arg8)
    else
    if $argc == 10
      set $lg_ref_addr = (unsigned long)($arg0 $arg1 $arg2 $arg3 $arg4 $arg5 $arg6 $arg7 $arg8 $arg9)
    end
    end
    end
    end
    end
    end
    end
    end
    end
    end
    eval "shell echo referrers %lu %d %lu %lu > %s.req", (unsigned long)($lg_ref_addr), (int)(0), $lg_runtime, $lg_dummy, $lg_session
    eval "source %s.ask", $lg_session
  end
end
document lg-referrers
Print who holds a PyObject *: the chain of containers up to the nearest module.
Each step is a list index, dict key or attribute, found by scanning the objects on the
GC lists; leakgate's own records of its suspects are never shown as holders.
Usage: lg-referrers EXPR         (EXPR may contain spaces)
end
