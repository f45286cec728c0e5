// Provides std::ios_base_library_init() under the symbol version GLIBCXX_3.4.32 for systems whose
// libstdc++ predates GCC 13 (Debian 12). TorchSharp's libLibTorchSharp.so references that one symbol
// at that version; everything else it needs is in the older libstdc++. GCC 13 emits a call to this
// function from every translation unit that includes <iostream>, to make sure the standard streams
// are constructed: constructing an ios_base::Init does exactly that.
#include <ios>

namespace std {
void ios_base_library_init();
}

void std::ios_base_library_init()
{
    static std::ios_base::Init init;
}
