// BackgroundTasks: work runs off the owner's thread, results come back on it in order, nothing
// is delivered to an owner that is gone, and a Wait owner joins its work while a Detach owner
// does not.
#include <QAtomicInt>
#include <QSemaphore>
#include <QThread>
#include <QtTest>
#include <memory>

#include "app/services/background_tasks.h"

using pagoda::app::BackgroundTasks;

class TestBackgroundTasks : public QObject {
  Q_OBJECT
 private slots:
  void deliversOnOwnerThreadInOrder() {
    QObject owner;
    BackgroundTasks tasks(&owner, 1);
    QList<int> got;
    QList<bool> off_thread;
    for (int i = 0; i < 20; ++i)
      tasks.run(
          [i, gui = QThread::currentThread()] {
            return std::make_pair(i, QThread::currentThread() != gui);
          },
          [&](std::pair<int, bool> r) {
            QCOMPARE(QThread::currentThread(), owner.thread());
            got << r.first;
            off_thread << r.second;
          });
    QTRY_COMPARE_WITH_TIMEOUT(got.size(), 20, 5000);
    for (int i = 0; i < 20; ++i) QCOMPARE(got[i], i);
    QVERIFY(!off_thread.contains(false));
  }

  void voidWorkAndDeliver() {
    QObject owner;
    BackgroundTasks tasks(&owner, 2);
    QAtomicInt ran = 0;
    bool delivered = false;
    tasks.run([&] { ran.fetchAndAddOrdered(1); }, [&] { delivered = true; });
    tasks.run([&] { ran.fetchAndAddOrdered(1); });
    QTRY_VERIFY_WITH_TIMEOUT(delivered, 5000);
    tasks.waitForDone();
    QCOMPARE(ran.loadAcquire(), 2);
  }

  void nothingDeliveredAfterOwnerIsGone() {
    auto delivered = std::make_shared<QAtomicInt>(0);
    QSemaphore started, release;
    {
      auto owner = std::make_unique<QObject>();
      BackgroundTasks tasks(owner.get(), 1, BackgroundTasks::OnDestroy::Detach);
      tasks.run(
          [&] {
            started.release();
            release.acquire();
            return 1;
          },
          [delivered](int) { delivered->fetchAndAddOrdered(1); });
      QVERIFY(started.tryAcquire(1, 5000));
      owner.reset();
    }  // a Detach owner does not wait for the stalled work: reaching here proves it
    release.release();
    QTest::qWait(200);
    QCOMPARE(delivered->loadAcquire(), 0);
  }

  void waitOwnerJoinsItsWork() {
    QAtomicInt finished = 0;
    {
      QObject owner;
      BackgroundTasks tasks(&owner, 1, BackgroundTasks::OnDestroy::Wait);
      tasks.run([&] {
        QThread::msleep(150);
        finished.storeRelease(1);
      });
    }
    QCOMPARE(finished.loadAcquire(), 1);
  }
};

QTEST_GUILESS_MAIN(TestBackgroundTasks)
#include "test_background_tasks.moc"
