"""Rendered default datasets: NORB-style object views and a car-mounted driving camera.

Built with pybullet's headless CPU renderer (TinyRenderer) from primitive shapes, so a fresh
machine without any downloaded data set still has images with real 3D structure and exact
motor readings. ``objects_set`` and ``drive_set`` write frames-csv folders; the sources in
``egoequiv.render.rendered_objects`` / ``rendered_drive`` read them back.
"""
