// symphonyd's configuration: a bad key stops the start with an error naming it, --print-config
// shows the effective result, and the precedence is defaults < file < environment < flags.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/messenger/messenger_util.h"

namespace symphony::testing::messenger {
namespace {

/// A port nobody listens on right now (bound and released).
uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool something_listens(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

TEST(MessengerConfig, BadConfigurationStopsTheStartNamingTheKey) {
  struct Case {
    const char* what;
    const char* toml;
    const char* key;
  };
  const Case cases[] = {
      {"unknown key", "[server]\nlog_level = \"info\"\nlisten_adress = \"127.0.0.1:1\"\n",
       "server.listen_adress"},
      {"negative retry delay", "[retry.EmailMessage]\nmax_retries = 5\ndelay_ms = -5\n",
       "retry.EmailMessage.delay_ms"},
      {"priority 11", "[queues.email]\npriority = 11\n", "queues.email.priority"},
      {"bad fsync", "[server]\nfsync = \"sometimes\"\n", "server.fsync"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    TempDir dir;
    const std::string cfg = dir.write("symphony.toml", c.toml);
    const uint16_t port = free_port();
    const std::string port_file = dir.path() + "/port";
    std::string out, err;
    const int code = run_command({BrokerProcess::symphonyd_path(), "--config", cfg, "--listen",
                                  "127.0.0.1:" + std::to_string(port), "--data-dir",
                                  dir.path() + "/data", "--port-file", port_file},
                                 out, &err);
    EXPECT_EQ(code, 2) << out << err;
    EXPECT_NE(err.find(c.key), std::string::npos) << "stderr does not name " << c.key << ":\n"
                                                  << err;
    EXPECT_NE(err.find("configuration error"), std::string::npos) << err;
    EXPECT_FALSE(std::filesystem::exists(port_file)) << "it wrote a port file";
    EXPECT_FALSE(something_listens(port)) << "something listens on " << port;
  }
}

TEST(MessengerConfig, PrintConfigShowsTheEffectiveConfigurationWithItsPrecedence) {
  TempDir dir;
  const std::string cfg = dir.write("symphony.toml", R"([server]
listen = "127.0.0.1:1111"

[retry.default]
delay_ms = 1500

[retry.EmailMessage]
max_retries = 5
delay_ms = 2000
max_delay_ms = 60000

[queues.email]
priority = 7
max_length = 100

[routing]
CampaignMessage = ["async", "email"]
)");
  const std::string d = BrokerProcess::symphonyd_path();

  // the file over the defaults
  std::string out, err;
  ASSERT_EQ(run_command({d, "--config", cfg, "--print-config"}, out, &err), 0) << err;
  EXPECT_NE(toml_section(out, "retry.default").find("delay_ms = 1500"), std::string::npos) << out;
  EXPECT_NE(toml_section(out, "retry.default").find("max_retries = 3"), std::string::npos) << out;
  EXPECT_NE(toml_section(out, "server").find("listen = '127.0.0.1:1111'"), std::string::npos)
      << out;
  const std::string email_retry = toml_section(out, "retry.EmailMessage");
  EXPECT_NE(email_retry.find("max_retries = 5"), std::string::npos) << out;
  EXPECT_NE(email_retry.find("delay_ms = 2000"), std::string::npos) << out;
  EXPECT_NE(email_retry.find("max_delay_ms = 60000"), std::string::npos) << out;
  EXPECT_NE(email_retry.find("multiplier = 2.0"), std::string::npos)
      << "unset keys come from the default policy\n"
      << out;
  EXPECT_NE(toml_section(out, "queues.email").find("priority = 7"), std::string::npos) << out;
  EXPECT_NE(toml_section(out, "queues.email").find("max_length = 100"), std::string::npos) << out;
  EXPECT_NE(toml_section(out, "routing").find("CampaignMessage = [ 'async', 'email' ]"),
            std::string::npos)
      << out;

  // the environment over the file
  ASSERT_EQ(run_command({"/usr/bin/env", "SYMPHONY_RETRY_DELAY=2500",
                         "SYMPHONY_LISTEN=127.0.0.1:2222", d, "--config", cfg, "--print-config"},
                        out, &err),
            0)
      << err;
  EXPECT_NE(toml_section(out, "retry.default").find("delay_ms = 2500"), std::string::npos) << out;
  EXPECT_NE(toml_section(out, "server").find("listen = '127.0.0.1:2222'"), std::string::npos)
      << out;
  EXPECT_NE(toml_section(out, "retry.EmailMessage").find("delay_ms = 2000"), std::string::npos)
      << "a per-type key stays over the environment's default\n"
      << out;

  // flags over the environment
  ASSERT_EQ(
      run_command({"/usr/bin/env", "SYMPHONY_RETRY_DELAY=2500", "SYMPHONY_LISTEN=127.0.0.1:2222", d,
                   "--config", cfg, "--listen", "127.0.0.1:3333", "--print-config"},
                  out, &err),
      0)
      << err;
  EXPECT_NE(toml_section(out, "server").find("listen = '127.0.0.1:3333'"), std::string::npos)
      << out;
  EXPECT_NE(toml_section(out, "retry.default").find("delay_ms = 2500"), std::string::npos) << out;

  // a bad environment value is an error naming the variable
  ASSERT_EQ(
      run_command({"/usr/bin/env", "SYMPHONY_RETRY_DELAY=-1", d, "--config", cfg, "--print-config"},
                  out, &err),
      2);
  EXPECT_NE(err.find("SYMPHONY_RETRY_DELAY"), std::string::npos) << err;
}

}  // namespace
}  // namespace symphony::testing::messenger
