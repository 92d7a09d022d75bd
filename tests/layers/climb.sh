#!/usr/bin/env bash
# Proves that the build enforces the layers: in each layer's include scope, a header of the
# layer above does not compile, while one of the layer itself does; the tool's sources see
# the public API (include/) and nothing of src/.
# Usage: climb.sh CXX SCOPES_DIR PROJECT_DIR
set -uo pipefail
cxx=$1 scopes=$2 project=$3
failures=0

compile() {  # compile SCOPE_FLAGS HEADER: exit status of compiling a TU that includes HEADER
  local flags=$1 header=$2
  echo "#include \"$header\"" | "$cxx" -std=c++20 -fsyntax-only $flags -I"$project/include" -x c++ - 2>/dev/null
}

expect() {  # expect ok|fails SCOPE_FLAGS HEADER WHAT
  local want=$1 flags=$2 header=$3 what=$4
  if compile "$flags" "$header"; then got=ok; else got=fails; fi
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: including $header $got, expected it to be $want"
    failures=$((failures + 1))
  else
    echo "ok: $what: $header $got"
  fi
}

# layer, a header of its own, a header of the layer just above it
while read -r layer own above; do
  expect ok "-I$scopes/$layer" "$own" "layer $layer"
  expect fails "-I$scopes/$layer" "$above" "layer $layer"
done <<'LAYERS'
libk libk/result.hpp hal/xptr.hpp
user user/interpreter.hpp hal/xptr.hpp
hal hal/xlist.hpp mm/ppm.hpp
mm mm/kmem.hpp kern/cluster.hpp
kern kern/thread.hpp rpc/rpc.hpp
rpc rpc/services/thread.hpp dev/ioc.hpp
dev dev/ioc.hpp mm/mapper/mapper.hpp
mapper mm/mapper/mapper.hpp fs/fat/format.hpp
fs fs/fat/format.hpp mm/vmm/vmm.hpp
vmm mm/vmm/vmm.hpp proc/process.hpp
proc proc/process.hpp syscall/syscall.hpp
syscall syscall/syscall.hpp boot/init.hpp
LAYERS

expect ok "" mkh/machine.hpp "tools"
expect fails "" kern/thread.hpp "tools"

if [ "$failures" -ne 0 ]; then
  echo "$failures layer checks failed"
  exit 1
fi
echo "layers: every include that climbs fails"
