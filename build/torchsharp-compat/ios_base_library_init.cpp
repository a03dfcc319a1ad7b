// GCC 13 and later emit a call to std::ios_base_library_init() (symbol version GLIBCXX_3.4.32) in every
// object that includes <iostream>. TorchSharp's native wrapper was built that way, so the loader of a
// system whose libstdc++ stops at GLIBCXX_3.4.30 (GCC 12, as on Debian 12) rejects it. Constructing a
// static std::ios_base::Init does what the real function does: it sets up the standard streams once.
#include <ios>

namespace std
{
    void ios_base_library_init()
    {
        static ios_base::Init init;
    }
}
