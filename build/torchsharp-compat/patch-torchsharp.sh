#!/usr/bin/env bash
# Makes TorchSharp's native wrapper load on systems whose libstdc++ lacks GLIBCXX_3.4.32.
#
# Usage: patch-torchsharp.sh DIR
#   Patches every libLibTorchSharp.so below DIR (a build or publish output folder).
#
# The wrapper takes one symbol from GLIBCXX_3.4.32, std::ios_base_library_init(). This script builds a small
# library that defines that symbol and every version node the wrapper asks of libstdc++, links it against
# the real libstdc++ (which still provides every other symbol), and points the wrapper's libstdc++ entry at
# it. It patches a copy and moves it into place, so a wrapper hard-linked to the NuGet cache is never
# edited in place. Running it twice changes nothing.
set -euo pipefail

output_dir=${1:?usage: patch-torchsharp.sh OUTPUT_DIR}
script_dir=$(cd "$(dirname "$0")" && pwd)
compat_name=libstdc++-glibcxx-3.4.32-compat.so
required_version=GLIBCXX_3.4.32

system_libstdcxx() {
    ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }'
}

needs_patch() {
    local libstdcxx
    libstdcxx=$(system_libstdcxx)
    [ -n "$libstdcxx" ] || { echo "patch-torchsharp: libstdc++.so.6 not found by ldconfig" >&2; exit 1; }
    ! grep -q "$required_version" "$libstdcxx"
}

require_tools() {
    local tool
    for tool in g++ patchelf objdump; do
        if ! command -v "$tool" >/dev/null; then
            echo "patch-torchsharp: '$tool' is missing; install it with: apt-get install -y g++ patchelf binutils" >&2
            exit 1
        fi
    done
}

# Writes a linker version script that defines each libstdc++ version node the wrapper requires.
write_version_script() {
    local wrapper=$1 map=$2 version
    : > "$map"
    for version in $(objdump -p "$wrapper" | awk '/required from libstdc\+\+\.so\.6:/ { on = 1; next } /required from/ { on = 0 } on && NF == 4 { print $4 }'); do
        if [ "$version" = "$required_version" ]; then
            echo "$version { global: _ZSt21ios_base_library_initv; };" >> "$map"
        else
            echo "$version { };" >> "$map"
        fi
    done
    echo "COMPAT_LOCAL { local: *; };" >> "$map"
}

patch_wrapper() {
    local wrapper=$1 native_dir work
    native_dir=$(dirname "$wrapper")

    if objdump -p "$wrapper" | grep -q "NEEDED.*$compat_name"; then
        return 0
    fi

    work=$(mktemp -d)

    write_version_script "$wrapper" "$work/compat.map"
    g++ -shared -fPIC -O2 -o "$work/$compat_name" "$script_dir/ios_base_library_init.cpp" \
        -Wl,--version-script="$work/compat.map" -Wl,-soname,"$compat_name"

    cp "$wrapper" "$work/wrapper.so"
    patchelf --replace-needed libstdc++.so.6 "$compat_name" "$work/wrapper.so"

    # Replace, never overwrite: the output file may be a hard link into the NuGet cache.
    rm -f "$native_dir/$compat_name"
    mv "$work/$compat_name" "$native_dir/$compat_name"
    rm -f "$wrapper"
    mv "$work/wrapper.so" "$wrapper"
    rm -rf "$work"
    echo "patch-torchsharp: patched $wrapper to load on a libstdc++ without $required_version"
}

main() {
    [ -d "$output_dir" ] || exit 0
    needs_patch || exit 0

    mapfile -t wrappers < <(find "$output_dir" -name libLibTorchSharp.so -type f)
    [ "${#wrappers[@]}" -gt 0 ] || exit 0

    require_tools
    for wrapper in "${wrappers[@]}"; do
        patch_wrapper "$wrapper"
    done
}

main
