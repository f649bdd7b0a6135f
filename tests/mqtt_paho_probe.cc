// telemdb-mqtt-paho-probe: what Paho C's MQTTAsync (Debian libpaho-mqtt-dev) does with
// acknowledgements, observed against a real broker. Run by tests/mqtt_paho_ack_test.cc:
//
//   probe URL CLIENT_ID MODE
//
// Every mode connects CLIENT_ID with a persistent session (clean session off), subscribes
// to probe/# at QoS 1, then:
//   exit-in-callback   publishes one message (mosquitto_pub) and _exit()s inside the message
//                      callback, before it returns
//   return-1           publishes one message, returns 1 from the callback, exits 500 ms later
//   return-0           publishes one message, returns 0 from the callback (each time it is
//                      called), exits 500 ms after the first call
//   collect            publishes nothing; prints what arrives within 2 s
//   two-clients        a second client CLIENT_ID-b subscribes to probe/b; publishes to probe/a
//                      and probe/b; each callback sleeps 500 ms
// and prints one line per callback: "callback <client> <topic> dup=<0|1> start=<s> end=<s>"
// (seconds since the probe started). Exit code 0 unless the broker could not be used.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "MQTTAsync.h"

namespace {

std::string g_mode;
std::string g_port;
std::atomic<int> g_subscribed{0};
std::atomic<int> g_calls{0};
const auto g_start = std::chrono::steady_clock::now();

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - g_start).count();
}

int Arrived(void* context, char* topic, int, MQTTAsync_message* m) {
  const char* who = static_cast<const char*>(context);
  const double start = Now();
  const int call = ++g_calls;
  if (g_mode == "exit-in-callback") {
    std::printf("callback %s %s dup=%d start=%.3f end=-\n", who, topic, m->dup, start);
    std::fflush(stdout);
    _exit(0);  // the callback never returns
  }
  if (g_mode == "two-clients") {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // as if waiting for an fsync
  }
  std::printf("callback %s %s dup=%d start=%.3f end=%.3f\n", who, topic, m->dup, start, Now());
  std::fflush(stdout);
  if (g_mode == "return-0") {
    (void)call;
    return 0;  // "not handled": Paho keeps the message and calls again
  }
  MQTTAsync_freeMessage(&m);
  MQTTAsync_free(topic);
  return 1;
}

void OnSubscribe(void*, MQTTAsync_successData*) { g_subscribed++; }

struct Conn {
  MQTTAsync client = nullptr;
  std::string filter;
};

void OnConnect(void* context, MQTTAsync_successData*) {
  Conn* c = static_cast<Conn*>(context);
  MQTTAsync_responseOptions o = MQTTAsync_responseOptions_initializer;
  o.onSuccess = OnSubscribe;
  MQTTAsync_subscribe(c->client, c->filter.c_str(), 1, &o);
}

Conn* Connect(const std::string& url, const std::string& id, const std::string& filter,
              const char* who) {
  Conn* c = new Conn;
  c->filter = filter;
  // No Paho persistence: nothing is written to the working directory.
  if (MQTTAsync_create(&c->client, url.c_str(), id.c_str(), MQTTCLIENT_PERSISTENCE_NONE, nullptr) !=
      MQTTASYNC_SUCCESS) {
    std::fprintf(stderr, "MQTTAsync_create failed\n");
    std::exit(2);
  }
  MQTTAsync_setCallbacks(c->client, const_cast<char*>(who), nullptr, Arrived, nullptr);
  MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
  co.cleansession = 0;
  co.keepAliveInterval = 20;
  co.onSuccess = OnConnect;
  co.context = c;
  if (MQTTAsync_connect(c->client, &co) != MQTTASYNC_SUCCESS) {
    std::fprintf(stderr, "MQTTAsync_connect failed\n");
    std::exit(2);
  }
  return c;
}

void WaitSubscribed(int n) {
  for (int i = 0; i < 1000 && g_subscribed < n; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (g_subscribed < n) {
    std::fprintf(stderr, "not subscribed\n");
    std::exit(2);
  }
}

void Publish(const std::string& topic) {
  const std::string cmd =
      "mosquitto_pub -h 127.0.0.1 -p " + g_port + " -q 1 -t " + topic + " -m probe";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "mosquitto_pub failed\n");
    std::exit(2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s URL CLIENT_ID MODE\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1], id = argv[2];
  g_mode = argv[3];
  g_port = url.substr(url.rfind(':') + 1);
  if (g_mode == "two-clients") {
    Connect(url, id, "probe/a", "a");
    Connect(url, id + "-b", "probe/b", "b");
    WaitSubscribed(2);
    Publish("probe/a");
    Publish("probe/b");
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    std::_Exit(0);
  }
  Connect(url, id, "probe/#", "a");
  WaitSubscribed(1);
  if (g_mode == "collect") {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    std::_Exit(0);
  }
  Publish("probe/x");
  for (int i = 0; i < 500 && g_calls == 0; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::_Exit(0);  // an abrupt end: no DISCONNECT, as a crash would
}
