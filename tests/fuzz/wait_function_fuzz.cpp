// libFuzzer target: Vapi's waitFunction parser and evaluator (pipeline/wait_function.cpp;
// scripts/fuzz.sh builds and runs it).
//
// Any bytes as an expression must parse or be refused with an error text, without a crash,
// deep recursion or an exception; a parsed function gives a value in [0, 15000] for any x,
// and its copies give the same value.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pipeline/completion.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string error;
    auto f = voxa::pipeline::WaitFunction::parse(in, &error);
    if (!f) {
        if (error.empty()) std::abort();  // a refusal always says why
        return 0;
    }
    if (!error.empty()) std::abort();
    voxa::pipeline::WaitFunction copy = *f;
    for (double x : {0.0, 0.5, 1.0, -1.0, 1e300, double(NAN)}) {
        double ms = f->ms(x);
        if (!(ms >= 0 && ms <= 15000)) std::abort();
        double again = copy.ms(x);
        if (again != ms) std::abort();
    }
    return 0;
}
