#include "tests/support/source.h"

namespace zhiban::test {

const char* SourceDir() { return ZHIBAN_SOURCE_TREE; }

}  // namespace zhiban::test
