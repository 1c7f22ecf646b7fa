// The doctest runner of the unit tests (tests/unit/*.cpp form one executable).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
