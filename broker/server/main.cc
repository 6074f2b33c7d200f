// symphonyd: the Symphony broker daemon (the program is symphonyd_main.cc).
#include "broker/server/symphonyd_main.h"

int main(int argc, char** argv) {
  return symphony::server::symphonyd_main(argc, argv, {});
}
